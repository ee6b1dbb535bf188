"""The review workflow on the running platform: submitted → decision → steps → 立项/备案, through NATS."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from libs.common.testing.platform import RunningPlatform, eventually
from tests.integration.workflow_support import (
    act,
    open_step,
    planned_project,
    redeliver,
    run_to_end,
    submit,
    uncatalogued_operations,
    workflow_of,
)
from tests.support.registry import (
    CHAOZHOU,
    PLAN_YEAR,
    XIANGQIAO,
    YUNAN,
    create_project,
    new_unit,
    problem,
    wait_state,
)

YEAR = PLAN_YEAR + 3  # its own plan years (other modules consolidate theirs)
POTOU, ZHANJIANG, LAIZHOU = "440804", "440800", "370683"
PUBLIC = {"project_class": "public", "service_types": ["software_development"]}


@pytest.fixture(scope="module")
def registry(platform: RunningPlatform) -> Any:
    with platform.client("registry") as client:
        yield client


@pytest.fixture(scope="module")
def approval(platform: RunningPlatform) -> Any:
    with platform.client("approval") as client:
        yield client


def test_yunan_800k_public_project_goes_expert_cost_finance_to_approved(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    _, pid = planned_project(platform, registry, YUNAN, facts=PUBLIC)
    submit(platform, registry, YUNAN, pid)
    wait_state(platform, registry, YUNAN, pid, "under_review")
    wf = workflow_of(platform, approval, YUNAN, pid)
    # 郁府办〔2024〕21号 第十条 → 立项; 第十一条 gives the order of a public project's review.
    assert wf["route"] == "approval" and wf["route_article"] == "第十条"
    assert [s["code"] for s in wf["steps"]] == [
        "expert_review",
        "cost_review",
        "finance_review",
        "funding_application",
        "approval_decision",
    ]
    assert [s["article"] for s in wf["steps"][:3]] == [
        "第十一条第（二）项",
        "第十一条第（二）项",
        "第十一条第（三）项",
    ]
    assert [s["role"] for s in wf["steps"]][:3] == [
        "bureau_officer",
        "bureau_officer",
        "finance_officer",
    ]
    bureau = platform.headers(YUNAN, "bureau_officer")
    step = open_step(wf)
    assert step["code"] == "expert_review"
    # The queue shows it to the bureau, not to the unit.
    queue = approval.get("/v1/tasks", headers=bureau).json()["items"]
    assert step["step_id"] in {t["step_id"] for t in queue if t["kind"] == "step"}
    unit_queue = approval.get("/v1/tasks", headers=platform.headers(YUNAN, "unit_officer"))
    assert step["step_id"] not in {t.get("step_id") for t in unit_queue.json()["items"]}
    # Expert review needs named experts, and each of their opinions, before the bureau concludes.
    early = approval.post(
        f"/v1/steps/{step['step_id']}/opinions",
        headers=bureau,
        json={"outcome": "approve", "opinion": "同意"},
    )
    assert early.status_code == 409 and problem(early)["code"] == "experts_missing"
    experts = [{"user": "expert-li", "name": "李专家"}, {"user": "expert-wang", "name": "王专家"}]
    assert (
        approval.put(
            f"/v1/steps/{step['step_id']}/experts", headers=bureau, json={"experts": experts}
        ).status_code
        == 200
    )
    li = platform.headers(YUNAN, "expert", user="expert-li")
    mine = approval.get("/v1/tasks", headers=li).json()["items"]
    assert [t["step_id"] for t in mine if t["kind"] == "expert_review"] == [step["step_id"]]
    r = approval.post(
        f"/v1/steps/{step['step_id']}/expert-opinions",
        headers=li,
        json={"conclusion": "agree_with_changes", "opinion": "建议压缩硬件采购。"},
    )
    assert r.status_code == 200, r.text
    waiting = approval.post(
        f"/v1/steps/{step['step_id']}/opinions",
        headers=bureau,
        json={"outcome": "approve", "opinion": "同意"},
    )
    assert waiting.status_code == 409 and "王专家" in problem(waiting)["detail"]
    outsider = approval.post(
        f"/v1/steps/{step['step_id']}/expert-opinions",
        headers=platform.headers(YUNAN, "expert", user="expert-zhao"),
        json={"conclusion": "agree", "opinion": "同意"},
    )
    # ADR 0008: a review an expert is not named in does not exist for them.
    assert outsider.status_code == 404
    r = approval.post(
        f"/v1/steps/{step['step_id']}/expert-opinions",
        headers=platform.headers(YUNAN, "expert", user="expert-wang"),
        json={"conclusion": "agree", "opinion": "同意。"},
    )
    assert r.status_code == 200
    wf = act(platform, approval, YUNAN, step)
    step = open_step(wf)
    assert step["code"] == "cost_review"
    wf = act(platform, approval, YUNAN, step)
    step = open_step(wf)
    assert step["code"] == "finance_review"
    # Finance approves less than was asked; more than asked is refused and changes nothing.
    too_much = approval.post(
        f"/v1/steps/{step['step_id']}/opinions",
        headers=platform.headers(YUNAN, "finance_officer"),
        json={"outcome": "approve", "opinion": "同意", "approved_amount": 800_001},
    )
    assert too_much.status_code == 422 and problem(too_much)["field"] == "approved_amount"
    wf = act(platform, approval, YUNAN, step, approved_amount=700_000)
    assert wf["approved_amount"] == 700_000
    wf = run_to_end(platform, approval, YUNAN, wf)
    assert wf["state"] == "approved"
    doc = wf["approval"]
    assert doc["kind"] == "approval" and doc["approved_amount"] == 700_000
    assert doc["number"].startswith("郁政数立〔") and doc["article"] == "第十条"
    # A public project's approval has no validity (第十二条第（二）项 is for 专业类 only).
    assert doc["valid_until"] is None and doc["expired"] is False
    assert {d["code"] for d in doc["duties"]} >= {"procurement", "acceptance", "self_evaluation"}
    project = wait_state(platform, registry, YUNAN, pid, "approved")
    history = registry.get(f"/v1/projects/{pid}/history", headers=bureau).json()
    assert history[-1]["trigger"] == "govproj.approval.project.approved.v1"
    assert history[-1]["actor"]["id"] == "bureau_officer-1"
    assert project["state"] == "approved"
    # Every opinion is kept, with who gave it.
    expert_step = wf["steps"][0]
    assert {o["actor"]["id"] for o in expert_step["opinions"]} == {
        "expert-li",
        "expert-wang",
        "bureau_officer-1",
    }


def test_yunan_professional_approval_is_valid_two_years_and_units_act_on_their_steps(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    unit, pid = planned_project(platform, registry, YUNAN)
    submit(platform, registry, YUNAN, pid)
    wf = workflow_of(platform, approval, YUNAN, pid)
    codes = [s["code"] for s in wf["steps"]]
    # 第十二条: the unit's catalog and its own 论证 come first, finance after the bureau's reviews.
    assert codes[:2] == ["data_resource_catalog", "internal_review"]
    assert codes.index("expert_review") < codes.index("cost_review") < codes.index("finance_review")
    assert codes[-1] == "approval_decision"
    step = open_step(wf)
    assert step["role"] == "unit_officer"
    # Another unit's officer cannot act for this unit; the bureau cannot act for the unit.
    other_unit = approval.post(
        f"/v1/steps/{step['step_id']}/opinions",
        headers=platform.headers(YUNAN, "unit_officer", unit=str(uuid.uuid4())),
        json={"outcome": "approve", "opinion": "已编制"},
    )
    assert other_unit.status_code == 403 and problem(other_unit)["code"] == "other_unit"
    bureau = approval.post(
        f"/v1/steps/{step['step_id']}/opinions",
        headers=platform.headers(YUNAN, "bureau_officer"),
        json={"outcome": "approve", "opinion": "代办"},
    )
    assert bureau.status_code == 403 and problem(bureau)["role"] == "unit_officer"
    mine = approval.get("/v1/tasks", headers=platform.headers(YUNAN, "unit_officer", unit=unit))
    assert step["step_id"] in {t["step_id"] for t in mine.json()["items"]}
    wf = run_to_end(platform, approval, YUNAN, wf)
    doc = wf["approval"]
    approved_on = date.fromisoformat(doc["approved_on"])
    # 第十二条第（二）项 "审批意见有效期为两年。"
    assert doc["valid_until"] == approved_on.replace(year=approved_on.year + 2).isoformat()
    assert doc["validity_article"] == "第十二条第（二）项" and doc["expired"] is False
    got = approval.get(f"/v1/projects/{pid}/approval", headers=platform.headers(YUNAN, "auditor"))
    assert got.status_code == 200 and got.json()["number"] == doc["number"]


def test_roles_and_tenants_are_held_to_their_own_steps(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    _, pid = planned_project(platform, registry, YUNAN, facts=PUBLIC)
    submit(platform, registry, YUNAN, pid)
    step = open_step(workflow_of(platform, approval, YUNAN, pid))
    url = f"/v1/steps/{step['step_id']}/opinions"
    body = {"outcome": "reject", "opinion": "不同意"}
    for role in ("unit_officer", "finance_officer", "auditor"):
        r = approval.post(url, headers=platform.headers(YUNAN, role), json=body)
        assert r.status_code == 403, (role, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    # ADR 0008: a review an expert is not named in does not exist for them.
    hidden = approval.post(url, headers=platform.headers(YUNAN, "expert"), json=body)
    assert hidden.status_code == 404, hidden.text
    # Another county's bureau: the step does not exist for it; the parent city reads, never acts.
    assert (
        approval.post(url, headers=platform.headers(POTOU, "bureau_officer"), json=body).status_code
        == 404
    )
    city = platform.headers("445300", "overseer", "bureau_officer")
    read_only = approval.post(url, headers=city, json=body)
    # ADR 0008: the overseeing city sees its county's step but may not act on it.
    assert read_only.status_code == 403 and problem(read_only)["code"] == "read_only_tenant"
    assert approval.get(f"/v1/projects/{pid}/workflow", headers=city).status_code == 200
    assert approval.post(url, json=body).status_code == 401
    bad = approval.post(
        url,
        headers=platform.headers(YUNAN, "bureau_officer"),
        json={"outcome": "maybe", "opinion": ""},
    )
    assert bad.status_code == 422
    wf = workflow_of(platform, approval, YUNAN, pid)
    assert open_step(wf)["step_id"] == step["step_id"] and wf["state"] == "open"
    # The bureau returns it for revision: the unit gets its draft back with the reason.
    wf = act(platform, approval, YUNAN, step, "return")
    assert wf["state"] == "returned"
    assert {s["state"] for s in wf["steps"][1:]} == {"cancelled"}
    project = wait_state(platform, registry, YUNAN, pid, "draft")
    history = registry.get(
        f"/v1/projects/{pid}/history", headers=platform.headers(YUNAN, "unit_officer")
    ).json()
    assert "退回修改" in history[-1]["reason"] and "第十一条第（二）项" in history[-1]["reason"]
    again = approval.post(url, headers=platform.headers(YUNAN, "bureau_officer"), json=body)
    assert again.status_code == 409
    # Resubmitted, it gets a new decision and a new workflow (submission 2).
    submit(platform, registry, YUNAN, pid)
    eventually(lambda: workflow_of(platform, approval, YUNAN, pid)["submission"] == 2, timeout=20)
    assert project["state"] == "draft"


def test_redelivered_submitted_event_never_opens_a_second_workflow(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    _, pid = planned_project(platform, registry, YUNAN, facts=PUBLIC)
    submit(platform, registry, YUNAN, pid)
    first = workflow_of(platform, approval, YUNAN, pid)
    asyncio.run(
        redeliver(
            platform.env["GOVPROJ_NATS_URL"], f"govproj.{YUNAN}.registry.project.submitted", pid
        )
    )
    bureau = platform.headers(YUNAN, "bureau_officer")

    def mine() -> list[dict[str, Any]]:
        # The whole queue, page by page (at most 200 a page).
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 200}
        while True:
            page = approval.get("/v1/tasks", headers=bureau, params=params)
            assert page.status_code == 200, page.text
            items += page.json()["items"]
            if not page.json().get("next_cursor"):
                return [t for t in items if t.get("project_id") == pid]
            params["cursor"] = page.json()["next_cursor"]

    # Events of a tenant are consumed in order: once a later submission has its
    # workflow, the redelivered event has been handled too.
    _, later = planned_project(platform, registry, YUNAN, facts=PUBLIC)
    submit(platform, registry, YUNAN, later)
    workflow_of(platform, approval, YUNAN, later)
    assert len(mine()) == 1
    assert workflow_of(platform, approval, YUNAN, pid)["id"] == first["id"]


def test_chaozhou_800k_software_is_filed_and_its_county_reports_to_the_city(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    _, pid = planned_project(platform, registry, CHAOZHOU)
    submit(platform, registry, CHAOZHOU, pid)
    wf = workflow_of(platform, approval, CHAOZHOU, pid)
    assert wf["route"] == "filing" and wf["route_article"].startswith("第十二条")
    assert wf["steps"][-1]["code"] == "filing_acknowledgement"
    wf = run_to_end(platform, approval, CHAOZHOU, wf)
    assert wf["state"] == "filed" and wf["approval"]["number"].startswith("潮政数备〔")
    wait_state(platform, registry, CHAOZHOU, pid, "filed")
    # The city itself reports to no one here; its county (湘桥区) reports up (第十四条).
    _, county_pid = planned_project(platform, registry, XIANGQIAO)
    submit(platform, registry, XIANGQIAO, county_pid)
    county_wf = run_to_end(
        platform, approval, XIANGQIAO, workflow_of(platform, approval, XIANGQIAO, county_pid)
    )
    assert county_wf["state"] == "filed"
    city = platform.headers(CHAOZHOU, "overseer")
    reports = [
        t
        for t in approval.get("/v1/tasks", headers=city).json()["items"]
        if t["kind"] == "report" and t["project_id"] == county_pid
    ]
    assert len(reports) == 1 and reports[0]["article"] == "第十四条"
    assert reports[0]["number"] == county_wf["approval"]["number"]
    assert not [
        t
        for t in approval.get("/v1/tasks", headers=city).json()["items"]
        if t.get("project_id") == pid
    ]
    # A sibling county sees nothing of it; the city acknowledges it once.
    chaoan = platform.headers("445103", "overseer")
    rid = reports[0]["report_id"]
    assert approval.post(f"/v1/reports/{rid}/receipt", headers=chaoan, json={}).status_code == 404
    ok = approval.post(f"/v1/reports/{rid}/receipt", headers=city, json={"note": "已收悉"})
    assert ok.status_code == 201 and ok.json()["received_at"]
    assert approval.post(f"/v1/reports/{rid}/receipt", headers=city, json={}).status_code == 409
    assert rid not in {
        t.get("report_id") for t in approval.get("/v1/tasks", headers=city).json()["items"]
    }


def test_potou_approval_after_september_30_does_not_enter_next_years_budget(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    _, pid = planned_project(platform, registry, POTOU)
    submit(platform, registry, POTOU, pid)
    wf = run_to_end(platform, approval, POTOU, workflow_of(platform, approval, POTOU, pid))
    doc = wf["approval"]
    approved_on = date.fromisoformat(doc["approved_on"])
    in_time = approved_on <= date(approved_on.year, 9, 30)
    # 坡头区（征求意见稿） 第十四条: 9月30日 is the cut-off for next year's budget.
    assert doc["enters_next_year_budget"] is in_time
    assert doc["budget_year"] == approved_on.year + (1 if in_time else 2)
    assert doc["cutoff_article"] == "第十四条"


def test_laizhou_6m_governance_project_carries_supervision_testing_and_standard_duties(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    # 莱政办发〔2022〕6号 was in force 2022-09-29..2024-09-28: a project submitted then.
    unit = new_unit(platform, registry, LAIZHOU)
    facts = {
        "project_class": "professional",
        "category": "governance",
        "service_types": ["software_development"],
        "amount": 6_000_000,
        "software_amount": 3_000_000,
        "mandated": True,
    }
    pid = create_project(
        platform, registry, LAIZHOU, unit, year=2024, amount=6_000_000, facts=facts
    )["id"]
    submit(platform, registry, LAIZHOU, pid, submitted_on="2023-06-01")
    wf = workflow_of(platform, approval, LAIZHOU, pid)
    decision = approval.get(
        f"/v1/projects/{pid}/decision", headers=platform.headers(LAIZHOU, "unit_officer")
    ).json()
    assert decision["route"] == "approval"
    mandatory = {
        r["code"]: r["article"] for r in decision["decision"]["requirements"] if r["mandatory"]
    }
    assert {"supervision", "third_party_testing", "standard_authoring"} <= set(mandatory)
    wf = run_to_end(platform, approval, LAIZHOU, wf)
    duties = {d["code"]: d["article"] for d in wf["approval"]["duties"]}
    for code in ("supervision", "third_party_testing", "standard_authoring"):
        assert duties[code] == mandatory[code]
    assert wf["approval"]["number"].startswith("莱政数立〔")
    # 第十九条第二款: the unit may apply for an adjustment within 15% only "在采购前".
    unit = platform.headers(LAIZHOU, "unit_officer", unit=unit)
    change = {"kind": "adjustment", "reason": "调整接口内容", "adjustment_amount": 300_000}
    before = approval.post(f"/v1/projects/{pid}/changes", headers=unit, json=change)
    assert before.status_code == 201 and before.json()["state"] == "filed", before.text
    assert before.json()["article"] == "第十九条第二款"
    wait_state(platform, registry, LAIZHOU, pid, "approved")
    with platform.client("budget") as budget:
        eventually(
            lambda: (
                budget.post(
                    f"/v1/projects/{pid}/procurement",
                    headers=unit,
                    json={"method": "public_tender", "started_on": "2023-09-01"},
                ).status_code
                in (200, 201)
            ),
            timeout=20,
        )
    eventually(
        lambda: (
            approval.get(f"/v1/projects/{pid}/approval", headers=unit).json()[
                "implementation_started_on"
            ]
            == "2023-09-01"
        ),
        timeout=20,
    )
    after = approval.post(f"/v1/projects/{pid}/changes", headers=unit, json=change)
    assert after.status_code == 201 and after.json()["state"] == "under_review", after.text
    assert "启动采购" in after.json()["explanation"]


def test_self_managed_and_ineligible_routes_close_at_once_with_their_reason(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    unit = new_unit(platform, registry, YUNAN)
    small = create_project(platform, registry, YUNAN, unit, year=YEAR, amount=50_000)["id"]
    unplanned = create_project(platform, registry, YUNAN, unit, year=YEAR)["id"]
    for pid in (small, unplanned):
        submit(platform, registry, YUNAN, pid)
    closed = workflow_of(platform, approval, YUNAN, small)
    assert closed["state"] == "closed" and closed["steps"] == []
    assert "自行管理" in closed["reason"] and closed["route_article"] == "第十条"
    ineligible = workflow_of(platform, approval, YUNAN, unplanned)
    assert ineligible["state"] == "closed" and ineligible["route_article"] == "第八条"


def _filed_chaozhou(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> tuple[str, str, dict[str, str]]:
    """A 潮州 project approved to the end: its id, its changes URL and its unit officer's headers."""
    unit, pid = planned_project(platform, registry, CHAOZHOU)
    submit(platform, registry, CHAOZHOU, pid)
    run_to_end(platform, approval, CHAOZHOU, workflow_of(platform, approval, CHAOZHOU, pid))
    headers = platform.headers(CHAOZHOU, "unit_officer", unit=unit)
    return pid, f"/v1/projects/{pid}/changes", headers


def test_a_15_percent_adjustment_is_filed_and_one_more_yuan_goes_back_to_approval(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    pid, url, unit = _filed_chaozhou(platform, registry, approval)
    # 潮府办〔2020〕20号 第二十条: ≤ 15% of the total, goals unchanged → the unit adjusts and files.
    r = approval.post(
        url,
        headers=unit,
        json={"kind": "adjustment", "reason": "调整接口开发内容", "adjustment_amount": 120_000},
    )
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["state"] == "filed" and filed["article"] == "第二十条"
    assert filed["cumulative_amount"] == 120_000
    # Adjustments count cumulatively: one more yuan is beyond the limit.
    r = approval.post(
        url, headers=unit, json={"kind": "adjustment", "reason": "增加一元", "adjustment_amount": 1}
    )
    assert r.status_code == 201, r.text
    over = r.json()
    assert over["state"] == "under_review" and over["cumulative_amount"] == 120_001
    assert "超过15%" in over["explanation"]
    review = approval.get(
        f"/v1/workflows/{over['review_workflow_id']}",
        headers=platform.headers(CHAOZHOU, "bureau_officer"),
    ).json()
    assert review["purpose"] == "change" and review["state"] == "open"
    listed = approval.get(url, headers=unit).json()
    assert listed["cumulative_adjustment"] == 120_000 and len(listed["items"]) == 2
    # Approved again, the change is closed as approved; the project stays filed.
    review = run_to_end(platform, approval, CHAOZHOU, review)
    assert review["state"] == "filed"
    states = {c["id"]: c["state"] for c in approval.get(url, headers=unit).json()["items"]}
    assert states[over["id"]] == "approved"
    assert wait_state(platform, registry, CHAOZHOU, pid, "filed")["state"] == "filed"


def test_15_percent_plus_one_yuan_at_once_goes_back_to_approval_and_bad_changes_change_nothing(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    _, url, unit = _filed_chaozhou(platform, registry, approval)
    for bad in (
        {"kind": "adjustment", "reason": "x", "adjustment_amount": -1},
        {"kind": "adjustment", "reason": "x", "adjustment_amount": 0},
        {"kind": "rename", "reason": "x"},
        {"kind": "adjustment", "reason": " ", "adjustment_amount": 5},
        {"kind": "adjustment", "reason": "x", "adjustment_amount": "1e3"},
    ):
        r = approval.post(url, headers=unit, json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["title"] == "输入数据不合法"
    assert approval.get(url, headers=unit).json()["items"] == []
    r = approval.post(
        url,
        headers=unit,
        json={"kind": "adjustment", "reason": "扩容", "adjustment_amount": 120_001},
    )
    assert r.status_code == 201 and r.json()["state"] == "under_review"
    # Changed goals, or a total above the approved budget, also go back to approval.
    r = approval.post(
        url,
        headers=unit,
        json={
            "kind": "adjustment",
            "reason": "目标调整",
            "adjustment_amount": 10,
            "goals_unchanged": False,
        },
    )
    assert r.json()["state"] == "under_review" and "项目目标发生变化" in r.json()["explanation"]
    # A project that is not approved or filed has nothing to change.
    _, draft = planned_project(platform, registry, CHAOZHOU)
    r = approval.post(
        f"/v1/projects/{draft}/changes",
        headers=unit,
        json={"kind": "adjustment", "reason": "x", "adjustment_amount": 1},
    )
    assert r.status_code == 409 and problem(r)["code"] == "not_approved"


def test_yunan_termination_is_filed_under_article_20_and_ends_the_project(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    unit_id, pid = planned_project(platform, registry, YUNAN)
    submit(platform, registry, YUNAN, pid)
    run_to_end(platform, approval, YUNAN, workflow_of(platform, approval, YUNAN, pid))
    wait_state(platform, registry, YUNAN, pid, "approved")
    unit = platform.headers(YUNAN, "unit_officer", unit=unit_id)
    late = approval.post(
        f"/v1/projects/{pid}/changes",
        headers=unit,
        json={"kind": "late_delivery", "reason": "供应商延期交付"},
    )
    assert late.status_code == 201 and late.json()["article"] == "第二十条"
    assert wait_state(platform, registry, YUNAN, pid, "approved")["state"] == "approved"
    r = approval.post(
        f"/v1/projects/{pid}/changes",
        headers=unit,
        json={"kind": "termination", "reason": "目标无法完全实现，终止合同"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "filed" and body["article"] == "第二十条"
    assert "县财政局" in body["explanation"]
    terminated = wait_state(platform, registry, YUNAN, pid, "terminated")
    assert terminated["state"] == "terminated"
    # Chaozhou has no unit-filed termination: the bureau terminates in the registry instead.
    _, changes, chaozhou_unit = _filed_chaozhou(platform, registry, approval)
    r = approval.post(
        changes, headers=chaozhou_unit, json={"kind": "termination", "reason": "终止"}
    )
    assert r.status_code == 409 and problem(r)["code"] == "no_filing_rule"


def test_potou_operations_project_for_a_system_missing_from_the_catalog_is_ineligible(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    _, pid = uncatalogued_operations(platform, registry, POTOU)
    submit(platform, registry, POTOU, pid)
    project = wait_state(platform, registry, POTOU, pid, "rejected")
    assert project["route"] == "ineligible"
    (system,) = project["submitted_facts"]["systems"]
    assert system == {"id": "渔政执法系统", "relation": "operate", "in_catalog": False}
    wf = workflow_of(platform, approval, POTOU, pid)
    # 坡头区（征求意见稿） 第八条第（一）项 "未纳入政务信息系统目录的系统。"
    assert wf["state"] == "closed" and wf["route_article"] == "第八条第（一）项"
    assert wf["steps"] == []


def test_an_approval_past_its_validity_is_flagged_and_announced_once(
    platform: RunningPlatform,
    platform_db: Any,
    registry: httpx.Client,
    approval: httpx.Client,
) -> None:
    from sqlalchemy import text

    from libs.common.db import TenantContext, create_engine, create_sessionmaker, transaction
    from services.approval.documents.service import sweep_expired as sweep_tenant

    _, pid = planned_project(platform, registry, YUNAN)
    submit(platform, registry, YUNAN, pid)
    wf = run_to_end(platform, approval, YUNAN, workflow_of(platform, approval, YUNAN, pid))
    number = wf["approval"]["number"]

    async def age_and_sweep() -> int:
        owner = create_engine(platform_db.owner)
        async with owner.begin() as conn:  # two years and a day pass
            # RLS binds the owner too (FORCE): act as the county.
            await conn.execute(
                text(
                    "SELECT set_config('app.tenant_id', :t, true),"
                    " set_config('app.visible_tenants', :t, true)"
                ),
                {"t": YUNAN},
            )
            aged = await conn.execute(
                text(
                    "UPDATE approval.approval_documents SET valid_until = current_date - 1"
                    " WHERE number = :n AND tenant_id = :t"
                ),
                {"n": number, "t": YUNAN},
            )
            assert aged.rowcount == 1
        await owner.dispose()
        engine = create_engine(platform_db.app)
        maker = create_sessionmaker(engine)
        for _ in range(2):  # (the worker's own hourly round may also pass by)
            async with transaction(maker, TenantContext.own(YUNAN)) as session:
                await sweep_tenant(session, YUNAN)
        async with transaction(maker, TenantContext.own(YUNAN)) as session:
            announced = await session.scalar(
                text(
                    "SELECT count(*) FROM approval.outbox"
                    " WHERE type = 'govproj.approval.approval.expired.v1'"
                    " AND payload::jsonb ->> 'number' = :n"
                ),
                {"n": number},
            )
        await engine.dispose()
        return int(announced or 0)

    assert asyncio.run(age_and_sweep()) == 1  # announced once, however many rounds
    got = approval.get(f"/v1/projects/{pid}/approval", headers=platform.headers(YUNAN, "auditor"))
    assert got.json()["expired"] is True and got.json()["validity_article"] == "第十二条第（二）项"


def _form(
    name: str, data: bytes, *, project_id: str
) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
    """An archive upload (multipart fields and file) of an expert's written opinion."""
    fields = {
        "title": "专家论证意见",
        "doc_type": "other",
        "doc_date": date.today().isoformat(),
        "author_unit": "郁南县政务服务数据管理局",
        "security_level": "non_secret",
        "retention_period": "y30",
        "project_id": project_id,
    }
    return fields, {"file": (name, data, "application/pdf")}


def test_opinions_cite_only_documents_filed_under_the_project_in_the_archive(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    from services.archive.tests import samples

    _, pid = planned_project(platform, registry, YUNAN, facts=PUBLIC)
    submit(platform, registry, YUNAN, pid)
    step = open_step(workflow_of(platform, approval, YUNAN, pid))
    bureau = platform.headers(YUNAN, "bureau_officer")
    approval.put(
        f"/v1/steps/{step['step_id']}/experts",
        headers=bureau,
        json={"experts": [{"user": "expert-chen", "name": "陈专家"}]},
    )
    expert = platform.headers(YUNAN, "expert", user="expert-chen")
    url = f"/v1/steps/{step['step_id']}/expert-opinions"
    unknown = approval.post(
        url,
        headers=expert,
        json={"conclusion": "agree", "opinion": "同意", "attachments": [str(uuid.uuid4())]},
    )
    assert unknown.status_code == 422 and problem(unknown)["field"] == "attachments[0]"
    with platform.client("archive") as archive:
        fields, files = _form("专家论证意见.pdf", samples.pdf(), project_id=pid)
        up = archive.post(
            "/v1/documents",
            headers=platform.headers(YUNAN, "bureau_officer"),
            data=fields,
            files=files,
        )
        assert up.status_code == 201, up.text
        # Another project of the same county (the archive refuses an unknown project, and
        # learns of a new one from the registry's events).
        _, other_pid = planned_project(platform, registry, YUNAN, facts=PUBLIC)
        filed: dict[str, httpx.Response] = {}

        def filed_elsewhere() -> bool:
            filed["r"] = archive.post(
                "/v1/documents",
                headers=platform.headers(YUNAN, "bureau_officer"),
                data=_form("其他.pdf", samples.pdf(), project_id=other_pid)[0],
                files={"file": ("其他.pdf", samples.pdf(), "application/pdf")},
            )
            return filed["r"].status_code == 201

        eventually(filed_elsewhere, timeout=20)
        elsewhere = filed["r"]
    doc, other = up.json()["id"], elsewhere.json()["id"]
    seen: dict[str, Any] = {}

    def cited() -> bool:
        r = approval.post(
            url,
            headers=expert,
            json={"conclusion": "agree", "opinion": "同意，见附件。", "attachments": [doc]},
        )
        seen["last"] = r
        return r.status_code == 200

    # Another project's document is refused (once the archive's events have arrived).
    eventually(
        lambda: (
            approval.post(
                url,
                headers=expert,
                json={"conclusion": "agree", "opinion": "同意", "attachments": [other]},
            )
            .json()
            .get("detail", "")
            .endswith("未归入本项目档案（请在电子档案中关联本项目）")
        ),
        timeout=20,
    )
    eventually(cited, timeout=20)
    wf = workflow_of(platform, approval, YUNAN, pid)
    (opinion,) = wf["steps"][0]["opinions"]
    assert opinion["attachments"] == [doc]


def test_a_filed_adjustment_that_lowers_the_total_reaches_the_budget(
    platform: RunningPlatform, registry: httpx.Client, approval: httpx.Client
) -> None:
    pid, url, unit = _filed_chaozhou(platform, registry, approval)
    r = approval.post(
        url,
        headers=unit,
        json={
            "kind": "adjustment",
            "reason": "压减硬件采购",
            "adjustment_amount": 40_000,
            "new_total": 760_000,
        },
    )
    assert r.status_code == 201 and r.json()["state"] == "filed", r.text
    with platform.client("budget") as budget:
        seen: dict[str, Any] = {}

        def lowered() -> bool:
            got = budget.get(
                f"/v1/projects/{pid}/budget", headers=platform.headers(CHAOZHOU, "finance_officer")
            )
            seen.update(got.json())
            return got.status_code == 200 and seen.get("approved_amount") == 760_000

        eventually(lowered, timeout=20)
    assert seen["total"] == 760_000
