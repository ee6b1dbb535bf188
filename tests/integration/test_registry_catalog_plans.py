"""The 政务信息系统目录, annual plans and the overseer's summary, as their callers see them."""

from __future__ import annotations

from datetime import date

import httpx

from libs.common.testing.platform import RunningPlatform, eventually
from tests.support.registry import (
    CHAOAN,
    CHAOZHOU,
    PLAN_YEAR,
    XIANGQIAO,
    YUNAN,
    archive_document,
    create_project,
    new_unit,
    officer,
    problem,
)


def test_system_lifecycle_with_disposition_and_the_unit_count(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = new_unit(platform, registry, XIANGQIAO)
    own = officer(platform, XIANGQIAO, unit)
    r = registry.post(
        "/v1/systems", headers=own, json={"unit_id": unit, "name": "湘桥政务服务系统"}
    )
    assert r.status_code == 201, r.text
    system = r.json()
    sid = system["id"]
    assert system["state"] == "planned" and system["shares_data"] is True
    # 坡头区 第七条 "只减不增": a unit that adds a system grows its count over 1 January.
    assert system["unit_count_grows"] is True
    path = f"/v1/systems/{sid}"
    # Tenant matrix.
    assert (
        registry.get(path, headers=platform.headers(CHAOAN, "unit_officer", "overseer")).status_code
        == 404
    )
    assert registry.get(path, headers=platform.headers(CHAOZHOU, "overseer")).status_code == 200
    assert registry.get(path).status_code == 401
    city = platform.headers(CHAOZHOU, "overseer", "bureau_officer")
    assert registry.post(f"{path}/operate", headers=city).status_code == 403
    assert (
        registry.post(f"{path}/operate", headers=officer(platform, CHAOAN, unit)).status_code == 404
    )
    # Facts are versioned like projects.
    fix = registry.patch(
        path, headers={**own, "If-Match": '"1"'}, json={"hosted_on_gov_cloud": True}
    )
    assert fix.status_code == 200 and fix.json()["hosted_on_gov_cloud"] is True
    assert (
        registry.patch(
            path, headers={**own, "If-Match": '"1"'}, json={"shares_data": False}
        ).status_code
        == 412
    )
    assert registry.post(f"{path}/operate", headers=own).json()["state"] == "in_operation"
    assert registry.post(f"{path}/operate", headers=own).status_code == 409
    # A project that upgrades it; a decommissioned system cannot be linked again.
    project = create_project(
        platform, registry, XIANGQIAO, unit, systems=[{"system_id": sid, "relation": "upgrade"}]
    )
    assert project["systems"] == [{"system_id": sid, "relation": "upgrade"}]
    # Named in the same read: the console asks nothing more per project.
    assert registry.get(path, headers=own).json()["projects"] == [
        {
            "project_id": project["id"],
            "relation": "upgrade",
            "name": project["name"],
            "state": project["state"],
        }
    ]
    bad = registry.post(
        f"{path}/decommission",
        headers=own,
        json={"disposition": "shred", "evidence_document_id": "d-1", "reason": "x"},
    )
    assert bad.status_code == 422 and problem(bad)["field"] == "disposition"
    missing = registry.post(
        f"{path}/decommission", headers=own, json={"disposition": "backup", "reason": "x"}
    )
    assert missing.status_code == 422 and problem(missing)["field"] == "evidence_document_id"
    # The evidence is a document of the archive, not a free string (issue 16 item 9).
    free_text = registry.post(
        f"{path}/decommission",
        headers=own,
        json={"disposition": "migration", "evidence_document_id": "doc-0193", "reason": "x"},
    )
    assert free_text.status_code == 422
    assert problem(free_text)["field"] == "evidence_document_id"
    sibling_doc = archive_document(platform, CHAOAN)
    evidence = archive_document(platform, XIANGQIAO)
    body = {"disposition": "migration", "evidence_document_id": evidence, "reason": "并入市级平台"}
    answers: list[httpx.Response] = []

    def decommissioned() -> bool:
        # 422 until the archive's document.uploaded event reaches the registry's replica.
        answers.append(registry.post(f"{path}/decommission", headers=own, json=body))
        return answers[-1].status_code == 200

    eventually(decommissioned, timeout=20)
    gone = answers[-1]
    assert {a.status_code for a in answers[:-1]} <= {422}
    assert (gone.json()["state"], gone.json()["disposition"]) == ("decommissioned", "migration")
    assert gone.json()["evidence_document_id"] == evidence
    assert (
        registry.post(
            f"{path}/decommission",
            headers=own,
            json={**body, "evidence_document_id": sibling_doc},
        ).status_code
        == 409
    )
    relink = create_project_raw(platform, registry, unit, sid)
    assert relink.status_code == 422 and problem(relink)["field"] == "systems[0].system_id"
    counts = registry.get(
        f"/v1/units/{unit}/system-counts", headers=own, params={"months": 3}
    ).json()
    assert counts["current"] == 0 and counts["grows"] is False and len(counts["series"]) == 3
    assert "第七条" in counts["article"]


def create_project_raw(
    platform: RunningPlatform, registry: httpx.Client, unit: str, sid: str
) -> httpx.Response:
    return registry.post(
        "/v1/projects",
        headers=officer(platform, XIANGQIAO, unit),
        json={
            "name": "再次关联",
            "unit_id": unit,
            "year": PLAN_YEAR,
            "facts": {
                "project_class": "professional",
                "service_types": ["operations_maintenance"],
                "amount": 1,
            },
            "systems": [{"system_id": sid, "relation": "operate"}],
        },
    )


def test_bad_system_input_is_refused(platform: RunningPlatform, registry: httpx.Client) -> None:
    unit = new_unit(platform, registry, XIANGQIAO)
    foreign = new_unit(platform, registry, CHAOAN)
    # The bureau: a unit officer naming another unit is refused (403) before its input is judged.
    own = platform.headers(XIANGQIAO, "bureau_officer")
    for field, body in (
        ("unit_id", {"unit_id": foreign, "name": "外辖区单位的系统"}),
        ("shares_data", {"unit_id": unit, "name": "坏事实", "shares_data": "maybe"}),
        ("state", {"unit_id": unit, "name": "坏状态", "state": "decommissioned"}),
        ("name", {"unit_id": unit, "name": ""}),
    ):
        r = registry.post("/v1/systems", headers=own, json=body)
        assert r.status_code == 422 and problem(r)["field"] == field, (field, r.text)
    assert registry.get("/v1/systems", headers=own, params={"unit_id": unit}).json() == []


def test_annual_plan_window_demand_and_consolidation(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    year = PLAN_YEAR + 2
    unit = new_unit(platform, registry, YUNAN)
    own = officer(platform, YUNAN, unit)
    bureau = platform.headers(YUNAN, "bureau_officer")
    plan = registry.get(f"/v1/plans/{year}", headers=own).json()
    # 郁府办〔2024〕21号 第七条: demand by 30 November of the year before.
    assert (
        plan["due"] == f"{year - 1}-11-30"
        and plan["due_article"] == "第七条"
        and plan["window_open"]
    )
    closed = registry.post(
        f"/v1/plans/{date.today().year}/items",
        headers=own,
        json={"unit_id": unit, "name": "今年的需求", "project_class": "public", "amount": 1},
    )
    assert closed.status_code == 422 and problem(closed)["field"] == "year"
    items = []
    for name, amount in (("教育云平台", 900_000), ("校园安防", 120_000)):
        r = registry.post(
            f"/v1/plans/{year}/items",
            headers=own,
            json={"unit_id": unit, "name": name, "project_class": "professional", "amount": amount},
        )
        assert r.status_code == 201, r.text
        items.append(r.json()["id"])
    negative = registry.post(
        f"/v1/plans/{year}/items",
        headers=own,
        json={"unit_id": unit, "name": "负数", "project_class": "public", "amount": -1},
    )
    assert negative.status_code == 422 and problem(negative)["field"] == "amount"
    assert registry.post(f"/v1/plans/{year}/consolidate", headers=own).status_code == 403
    assert (
        registry.post(
            f"/v1/plans/{year}/consolidate",
            headers=platform.headers("445300", "overseer", "bureau_officer"),
        ).status_code
        == 404
    )
    done = registry.post(
        f"/v1/plans/{year}/consolidate", headers=bureau, json={"exclude": [items[1]]}
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "consolidated" and done.json()["total_amount"] == 900_000
    listed = registry.get(f"/v1/plans/{year}/items", headers=bureau).json()
    states = {i["id"]: i["state"] for i in listed}
    assert states == {items[0]: "included", items[1]: "excluded"}
    late = registry.post(
        f"/v1/plans/{year}/items",
        headers=own,
        json={"unit_id": unit, "name": "迟到的需求", "project_class": "public", "amount": 1},
    )
    assert late.status_code == 409 and problem(late)["code"] == "plan_consolidated"
    assert (
        registry.get(
            f"/v1/plans/{year}",
            headers=platform.headers(XIANGQIAO, "unit_officer"),
            params={"tenant": YUNAN},
        ).status_code
        == 404
    )
    assert (
        registry.get(
            f"/v1/plans/{year}",
            headers=platform.headers("445300", "overseer"),
            params={"tenant": YUNAN},
        ).json()["state"]
        == "consolidated"
    )


def test_city_overseer_summary_per_county(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = new_unit(platform, registry, CHAOAN)
    create_project(platform, registry, CHAOAN, unit, amount=123_456)
    r = registry.get("/v1/oversight/summary", headers=platform.headers(CHAOZHOU, "overseer"))
    assert r.status_code == 200, r.text
    rows = {j["tenant"]: j for j in r.json()["jurisdictions"]}
    assert set(rows) == {CHAOZHOU, XIANGQIAO, CHAOAN, "445122"}
    chaoan = rows[CHAOAN]
    assert chaoan["name"] == "潮安区"
    assert chaoan["by_state"]["draft"]["amount"] >= 123_456
    assert chaoan["projects"]["count"] == sum(b["count"] for b in chaoan["by_state"].values())
    assert (
        registry.get(
            "/v1/oversight/summary", headers=platform.headers(CHAOZHOU, "bureau_officer")
        ).status_code
        == 403
    )
    assert registry.get("/v1/oversight/summary").status_code == 401
    county = registry.get(
        "/v1/oversight/summary", headers=platform.headers(YUNAN, "overseer")
    ).json()
    assert [j["tenant"] for j in county["jurisdictions"]] == [YUNAN]
