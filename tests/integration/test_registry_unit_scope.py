"""A 项目管理专员 whose token names their unit acts only for that unit's projects."""

from __future__ import annotations

from libs.common.testing.platform import RunningPlatform

TENANT = "445322"
FACTS = {
    "project_class": "professional",
    "service_types": ["software_development"],
    "amount": 300_000,
}


def test_unit_officer_cannot_create_or_change_another_units_project(
    platform: RunningPlatform,
) -> None:
    bureau = platform.headers(TENANT, "bureau_officer")
    with platform.client("registry") as registry:
        units = [
            registry.post("/v1/units", headers=bureau, json={"name": name}).json()["id"]
            for name in ("范围测试单位甲", "范围测试单位乙")
        ]
        mine, theirs = units
        officer = platform.headers(TENANT, "unit_officer", unit=mine)
        body = {"name": "本单位项目", "unit_id": mine, "year": 2027, "facts": FACTS}
        own = registry.post("/v1/projects", headers=officer, json=body)
        assert own.status_code == 201, own.text

        foreign = registry.post("/v1/projects", headers=officer, json={**body, "unit_id": theirs})
        assert foreign.status_code == 403
        # ADR 0008: the refusal says "another unit" and names the field, never that unit's id.
        assert foreign.json()["code"] == "other_unit" and foreign.json()["field"] == "unit_id"
        assert theirs not in foreign.json()["detail"]

        # The bureau creates for any unit of the jurisdiction ...
        other = registry.post("/v1/projects", headers=bureau, json={**body, "unit_id": theirs})
        assert other.status_code == 201, other.text
        other_id = other.json()["id"]
        # ... but the unit-bound officer can neither edit nor submit it, nor move theirs away.
        edit = registry.patch(
            f"/v1/projects/{other_id}",
            headers={**officer, "If-Match": other.headers["ETag"]},
            json={"name": "改别人的"},
        )
        assert edit.status_code == 403
        assert registry.post(f"/v1/projects/{other_id}/submit", headers=officer).status_code == 403
        move = registry.patch(
            f"/v1/projects/{own.json()['id']}",
            headers={**officer, "If-Match": own.headers["ETag"]},
            json={"unit_id": theirs},
        )
        assert move.status_code == 403
        # Nothing changed.
        assert (
            registry.get(f"/v1/projects/{other_id}", headers=bureau).json()["name"] == "本单位项目"
        )
        assert (
            registry.get(f"/v1/projects/{own.json()['id']}", headers=bureau).json()["unit_id"]
            == mine
        )


def test_unit_officer_without_a_unit_claim_acts_for_no_unit(platform: RunningPlatform) -> None:
    """Regression (issue 16): a token without ``unit`` acted for every unit of the county."""
    bureau = platform.headers(TENANT, "bureau_officer")
    claimless = platform.headers(TENANT, "unit_officer")
    with platform.client("registry") as registry:
        unit = registry.post("/v1/units", headers=bureau, json={"name": "无声明测试单位"}).json()
        body = {"name": "无声明项目", "unit_id": unit["id"], "year": 2027, "facts": FACTS}
        refused = registry.post("/v1/projects", headers=claimless, json=body)
        assert refused.status_code == 403 and refused.json()["code"] == "unit_claim_missing"
        made = registry.post("/v1/projects", headers=bureau, json=body)
        assert made.status_code == 201, made.text
        pid = made.json()["id"]
        for method, path, payload, extra in (
            ("PATCH", f"/v1/projects/{pid}", {"name": "改名"}, {"If-Match": '"1"'}),
            ("POST", f"/v1/projects/{pid}/submit", None, {}),
            ("POST", "/v1/systems", {"unit_id": unit["id"], "name": "无声明系统"}, {}),
        ):
            r = registry.request(method, path, json=payload, headers={**claimless, **extra})
            assert r.status_code == 403 and r.json()["code"] == "unit_claim_missing", path
        # It still reads its jurisdiction, and nothing changed.
        seen = registry.get(f"/v1/projects/{pid}", headers=claimless).json()
        assert (seen["name"], seen["state"], seen["version"]) == ("无声明项目", "draft", 1)
