"""Tenancy and authentication as a caller of the HTTP API experiences them."""

from __future__ import annotations

import time

import jwt

from libs.common.testing.platform import RunningPlatform


def _problem(r) -> dict:  # type: ignore[no-untyped-def]
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    body = r.json()
    assert body["title"] and any("\u4e00" <= ch <= "\u9fff" for ch in body["title"]), body
    return body


def test_sibling_county_cannot_read_unit_and_gets_404(platform: RunningPlatform) -> None:
    with platform.client("registry") as registry:
        created = registry.post(
            "/v1/units",
            headers=platform.headers("445102", "bureau_officer"),
            json={"name": "湘桥区测试单位甲"},
        )
        assert created.status_code == 201, created.text
        unit_id = created.json()["id"]
        own = registry.get(
            f"/v1/units/{unit_id}", headers=platform.headers("445102", "unit_officer")
        )
        assert own.status_code == 200
        sibling = registry.get(
            f"/v1/units/{unit_id}", headers=platform.headers("445103", "unit_officer")
        )
        assert sibling.status_code == 404
        assert _problem(sibling)["code"] == "not_found"
        listed = registry.get(
            "/v1/units", headers=platform.headers("445103", "bureau_officer")
        ).json()
        assert unit_id not in {u["id"] for u in listed}


def test_city_overseer_sees_its_counties_units_but_not_another_citys(
    platform: RunningPlatform,
) -> None:
    with platform.client("registry") as registry:
        mine = registry.post(
            "/v1/units",
            headers=platform.headers("445122", "bureau_officer"),
            json={"name": "饶平县测试单位"},
        ).json()["id"]
        other = registry.post(
            "/v1/units",
            headers=platform.headers("445322", "bureau_officer"),
            json={"name": "郁南县测试单位"},
        ).json()["id"]
        overseer = platform.headers("445100", "overseer")
        assert registry.get(f"/v1/units/{mine}", headers=overseer).status_code == 200
        assert registry.get(f"/v1/units/{other}", headers=overseer).status_code == 404
        tenants = {t["code"] for t in registry.get("/v1/tenants", headers=overseer).json()}
        assert {"445100", "445102", "445103", "445122", "440000"} <= tenants
        assert "445322" not in tenants
        county = {
            t["code"]
            for t in registry.get(
                "/v1/tenants", headers=platform.headers("445102", "unit_officer")
            ).json()
        }
        assert "445103" not in county and "445102" in county


def test_overseer_cannot_write_into_a_county(platform: RunningPlatform) -> None:
    with platform.client("registry") as registry:
        r = registry.post(
            "/v1/units", headers=platform.headers("445100", "overseer"), json={"name": "越权单位"}
        )
        assert r.status_code == 403
        _problem(r)


def test_bad_tokens_get_401_problem(platform: RunningPlatform) -> None:
    good = platform.token("445322", "unit_officer")
    claims = jwt.decode(good, options={"verify_signature": False})
    header = jwt.get_unverified_header(good)
    none_token = jwt.encode({**claims}, key=None, algorithm="none")  # type: ignore[arg-type]
    expired = jwt.decode(good, options={"verify_signature": False})
    cases = {
        "no token": {},
        "garbage": {"Authorization": "Bearer not-a-jwt"},
        "alg none": {"Authorization": f"Bearer {none_token}"},
        "HS256 with a made-up key": {
            "Authorization": "Bearer "
            + jwt.encode(
                {**claims, "exp": int(time.time()) + 60},
                "secret-secret-secret-secret-32b",
                algorithm="HS256",
                headers={"kid": header.get("kid")},
            )
        },
    }
    del expired
    with platform.client("registry") as registry:
        for name, headers in cases.items():
            r = registry.get("/v1/units", headers=headers)
            assert r.status_code == 401, name
            _problem(r)


def test_platform_admin_only_manages_tenants(platform: RunningPlatform) -> None:
    with platform.client("registry") as registry:
        r = registry.post(
            "/v1/tenants",
            headers=platform.headers("445322", "bureau_officer"),
            json={"code": "445323", "name": "伪造县", "level": "county", "parent_code": "445300"},
        )
        assert r.status_code == 403
        bad = registry.post(
            "/v1/tenants",
            headers=platform.headers("440000", "platform_admin"),
            json={"code": "44532", "name": "坏代码", "level": "county", "parent_code": "445300"},
        )
        assert bad.status_code == 422
        assert _problem(bad)["field"] == "code"
        orphan = registry.post(
            "/v1/tenants",
            headers=platform.headers("440000", "platform_admin"),
            json={"code": "999901", "name": "无上级", "level": "county", "parent_code": "999900"},
        )
        assert orphan.status_code == 422
        assert _problem(orphan)["field"] == "parent_code"
        listed = {
            t["code"]
            for t in registry.get(
                "/v1/tenants", headers=platform.headers("440000", "platform_admin")
            ).json()
        }
        assert "445323" not in listed and "999901" not in listed


def test_bad_unit_input_is_refused_and_changes_nothing(platform: RunningPlatform) -> None:
    bureau = platform.headers("445322", "bureau_officer")
    with platform.client("registry") as registry:
        before = len(registry.get("/v1/units", headers=bureau).json())
        for body in ({"name": "含\x00空字符"}, {"name": "   "}, {"name": "x" * 201}, {"nam": "拼错"}):
            r = registry.post("/v1/units", headers=bureau, json=body)
            assert r.status_code == 422, body
            assert _problem(r)["field"] in ("name", "nam"), r.text
        twice = [registry.post("/v1/units", headers=bureau, json={"name": "郁南县重复单位"}) for _ in range(2)]
        assert [r.status_code for r in twice] == [201, 409]
        assert len(registry.get("/v1/units", headers=bureau).json()) == before + 1
