"""A submitted project crosses NATS to the approval service and the registry follows its decision."""

from __future__ import annotations

import httpx

from libs.common.testing.platform import RunningPlatform
from tests.support.registry import (
    CHAOZHOU,
    PLAN_YEAR,
    XIANGQIAO,
    YUNAN,
    create_project,
    new_unit,
    officer,
    planned_items,
    wait_state,
)

YEAR = PLAN_YEAR + 1  # its own plan year: the projects module consolidates PLAN_YEAR


def _submit(
    platform: RunningPlatform, registry: httpx.Client, tenant: str, unit: str, pid: str
) -> None:
    r = registry.post(
        f"/v1/projects/{pid}/submit",
        headers={**officer(platform, tenant, unit), "Idempotency-Key": f"submit-{pid}"},
    )
    assert r.status_code == 200 and r.json()["state"] == "submitted", r.text


def test_yunan_800k_software_in_the_plan_goes_under_review_for_approval(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    unit = new_unit(platform, registry, YUNAN)
    (item,) = planned_items(platform, registry, YUNAN, unit, YEAR, 1)
    pid = create_project(platform, registry, YUNAN, unit, year=YEAR, demand_item_id=item)["id"]
    headers = officer(platform, YUNAN, unit)
    assert approval.get(f"/v1/projects/{pid}/decision", headers=headers).status_code == 404
    _submit(platform, registry, YUNAN, unit, pid)
    project = wait_state(platform, registry, YUNAN, pid, "under_review")
    assert project["route"] == "approval" and project["in_annual_plan"] is True
    assert project["submitted_facts"]["in_annual_plan"] is True
    assert project["decision"]["policy"]["document"] == "郁府办〔2024〕21号"
    decision = approval.get(f"/v1/projects/{pid}/decision", headers=headers)
    assert decision.status_code == 200
    body = decision.json()
    assert body["route"] == "approval" and body["decision"]["route"]["article"] == "第十条"
    assert body["id"] == project["decision"]["decision_id"]
    # Another county, and the registry's state history names the decision event.
    assert (
        approval.get(
            f"/v1/projects/{pid}/decision", headers=platform.headers(XIANGQIAO, "unit_officer")
        ).status_code
        == 404
    )
    assert approval.get(f"/v1/projects/{pid}/decision").status_code == 401
    history = registry.get(f"/v1/projects/{pid}/history", headers=headers).json()
    assert history[-1]["trigger"] == "govproj.approval.project.decided.v1"
    assert history[-1]["actor"]["type"] == "system"
    # Replaying the submit with its key changes nothing and decides nothing twice.
    again = registry.post(
        f"/v1/projects/{pid}/submit",
        headers={**headers, "Idempotency-Key": f"submit-{pid}"},
    )
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert registry.get(f"/v1/projects/{pid}", headers=headers).json()["state"] == "under_review"


def test_yunan_project_outside_the_plan_is_flagged_and_judged_as_unplanned(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = new_unit(platform, registry, YUNAN)
    pid = create_project(platform, registry, YUNAN, unit, year=YEAR)["id"]
    _submit(platform, registry, YUNAN, unit, pid)
    project = registry.get(
        f"/v1/projects/{pid}", headers=platform.headers(YUNAN, "unit_officer")
    ).json()
    assert project["in_annual_plan"] is False
    assert project["submitted_facts"]["in_annual_plan"] is False
    # 郁府办〔2024〕21号 第八条: unplanned and not mandated is not approved this year.
    decided = wait_state(platform, registry, YUNAN, pid, "rejected")
    assert decided["route"] == "ineligible"


def test_yunan_50k_is_self_managed_and_approved_by_its_own_unit(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = new_unit(platform, registry, YUNAN)
    pid = create_project(platform, registry, YUNAN, unit, amount=50_000, year=YEAR)["id"]
    _submit(platform, registry, YUNAN, unit, pid)
    project = wait_state(platform, registry, YUNAN, pid, "approved")
    assert project["route"] == "self_managed"
    history = registry.get(
        f"/v1/projects/{pid}/history", headers=platform.headers(YUNAN, "unit_officer")
    ).json()
    assert "建设单位自行管理" in history[-1]["reason"]


def test_chaozhou_classified_project_is_out_of_scope(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = new_unit(platform, registry, CHAOZHOU)
    body_facts = {
        "project_class": "professional",
        "service_types": ["software_development"],
        "amount": 800_000,
        "classified": True,
    }
    r = registry.post(
        "/v1/projects",
        headers=officer(platform, CHAOZHOU, unit),
        json={"name": "涉密系统", "unit_id": unit, "year": YEAR, "facts": body_facts},
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    _submit(platform, registry, CHAOZHOU, unit, pid)
    project = wait_state(platform, registry, CHAOZHOU, pid, "out_of_scope")
    assert project["route"] == "classified_rules" and project["state_label"] == "不适用本办法"


def test_no_policy_in_force_on_submission_returns_the_project_to_draft(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    # 莱政办发〔2022〕6号 was valid until 2024-09-29: a project submitted today has no policy.
    laizhou = "370683"
    unit = new_unit(platform, registry, laizhou)
    facts = {
        "project_class": "professional",
        "category": "governance",
        "service_types": ["software_development"],
        "amount": 800_000,
    }
    r = registry.post(
        "/v1/projects",
        headers=officer(platform, laizhou, unit),
        json={"name": "莱州测试项目", "unit_id": unit, "year": YEAR, "facts": facts},
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    _submit(platform, registry, laizhou, unit, pid)
    project = wait_state(platform, registry, laizhou, pid, "draft")
    assert project["decision_problem"]["code"] == "no_policy_in_force"
    assert project["route"] is None
    history = registry.get(
        f"/v1/projects/{pid}/history", headers=platform.headers(laizhou, "unit_officer")
    ).json()
    assert history[-1]["trigger"] == "govproj.approval.project.decision_failed.v1"


def test_a_project_operating_a_system_takes_its_catalog_facts(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = new_unit(platform, registry, YUNAN)
    headers = officer(platform, YUNAN, unit)
    system = registry.post(
        "/v1/systems",
        headers=headers,
        json={
            "unit_id": unit,
            "name": f"运维系统{unit[:6]}",
            "state": "in_operation",
            "shares_data": False,
        },
    ).json()
    pid = create_project(
        platform,
        registry,
        YUNAN,
        unit,
        amount=50_000,
        year=YEAR,
        systems=[{"system_id": system["id"], "relation": "operate"}],
    )["id"]
    _submit(platform, registry, YUNAN, unit, pid)
    project = registry.get(f"/v1/projects/{pid}", headers=headers).json()
    (entry,) = project["submitted_facts"]["systems"]
    assert entry["id"] == system["id"] and entry["relation"] == "operate"
    assert entry["shares_data"] is False
    wait_state(platform, registry, YUNAN, pid, "approved")
