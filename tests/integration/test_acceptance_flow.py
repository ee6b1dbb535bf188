"""Acceptance on the running platform: Potou's archive gate, Chaozhou's filing route, Yunan's review.

Every project here goes the whole way through the real services: registry
(submit) → approval (decision, review workflow) → budget (procurement,
contract) → acceptance (completion, checklist, acceptance), with its evidence
stored in the archive.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from libs.common.deadlines import deadline_after, today_in_china
from libs.common.testing.clamd import clamd_binary, start_clamd
from libs.common.testing.platform import RunningPlatform, eventually
from libs.common.testing.pytest_plugin import DatabaseUrls
from tests.integration.acceptance_support import (
    acceptance_body,
    archive_acceptance,
    build,
    complete,
    has_doc,
    operate_and_evaluate,
    outbox,
    planned_project,
    prove,
    record_of,
    run_workflow,
    submit,
    unit_headers,
    upload,
)
from tests.support.registry import CHAOZHOU, problem, wait_state

POTOU = "440804"


# ---- 坡头: no acceptance before the archive acceptance passes ----------------------------


@contextlib.contextmanager
def archive_with_clamd(platform: RunningPlatform, root: Path) -> Iterator[None]:
    """Restart the archive with a clamd of our own (one signature: no download), then put it back.

    The platform runs no virus scanner, so 四性检测 cannot pass there (SECU-01 not run);
    this is the one place the platform's archive must be able to pass a package.
    """
    if clamd_binary() is None:
        pytest.skip("ClamAV (clamd) is not installed: the archive cannot pass 四性检测 without it")
    clamd = start_clamd(root)
    if clamd is None:
        pytest.skip("clamd did not start")
    try:
        platform.stop_service("archive")
        platform.env["GOVPROJ_ARCHIVE_CLAMD_SOCKET"] = str(clamd.socket)
        platform.start_service("archive")
        yield
    finally:
        if platform.env.pop("GOVPROJ_ARCHIVE_CLAMD_SOCKET", None) is not None:
            platform.stop_service("archive")
            platform.start_service("archive")
        clamd.stop()


def test_potou_project_cannot_be_accepted_until_its_archive_acceptance_passes(
    platform: RunningPlatform,
    clients: dict[str, httpx.Client],
    platform_db: DatabaseUrls,
    tmp_path: Path,
) -> None:
    registry, acceptance, archive = clients["registry"], clients["acceptance"], clients["archive"]
    # 坡头 第十二条: 运行维护服务 may be filed whatever the amount (its 政府采购限额 for other
    # services is the bureau's to set, issue 17).
    pid = planned_project(
        platform, registry, POTOU, service_types=["operations_maintenance"], software_amount=0
    )
    submit(platform, registry, POTOU, pid)
    wf = run_workflow(platform, clients["approval"], POTOU, pid)
    assert wf["route"] == "filing"
    wait_state(platform, registry, POTOU, pid, "filed")
    today = today_in_china()
    build(platform, clients["budget"], archive, POTOU, pid, started_on=today, signed_on=today)
    wait_state(platform, registry, POTOU, pid, "implementing")
    done = complete(platform, acceptance, POTOU, pid, today)
    assert done["state"] == "completed" and done["approval"]["outcome"] == "filed"
    # 坡头区（征求意见稿） 第二十三条: 未进行档案验收或者档案验收不合格的，不得通过项目验收.
    (item,) = [i for i in done["checklist"] if i["code"] == "archive_acceptance"]
    assert item["mandatory"] and not item["satisfied"] and item["gate"] == "acceptance"
    assert item["citations"][0]["article"] == "第二十三条"
    # 第二十二条: a filing project needs no conformity review; the unit organises acceptance.
    assert done["review_plan"]["mode"] == "self_check"
    assert done["review_plan"]["acceptance_article"] == "第二十二条"
    report = upload(platform, archive, POTOU, pid, "acceptance_report", "坡头验收报告")
    unit = unit_headers(platform, POTOU, pid)
    url = f"/v1/projects/{pid}/acceptance"

    def refused() -> dict[str, Any]:
        r = acceptance.post(url, headers=unit, json=acceptance_body(report, today))
        assert r.status_code == 409, r.text
        body = problem(r)
        assert body["code"] == "checklist_incomplete" and body["missing"] == ["archive_acceptance"]
        assert "第二十三条" in body["detail"] and body["title"] == "缺少验收必备材料"
        return body

    has_doc(platform, acceptance, POTOU, pid, report)
    refused()
    assert record_of(platform, acceptance, POTOU, pid)["state"] == "completed"
    # The platform's archive runs no virus scan: 档案验收 fails, and acceptance stays refused.
    failed = archive_acceptance(platform, archive, POTOU, pid)
    assert failed["outcome"] == "failed"
    record_of(
        platform,
        acceptance,
        POTOU,
        pid,
        lambda r: (r["archive_acceptance"] or {}).get("outcome") == "failed",
    )
    refused()
    with archive_with_clamd(platform, tmp_path / "clamd"):
        passed = archive_acceptance(platform, archive, POTOU, pid)
    assert passed["outcome"] == "passed", passed
    rec = record_of(
        platform,
        acceptance,
        POTOU,
        pid,
        lambda r: (r["archive_acceptance"] or {}).get("outcome") == "passed",
    )
    assert rec["archive_acceptance"]["acceptance_id"] == str(passed["id"])
    r = acceptance.post(url, headers=unit, json=acceptance_body(report, today))
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["state"] == "accepted"
    (archive_item,) = [
        i for i in accepted["reviews"][-1]["items"] if i["code"] == "archive_acceptance"
    ]
    assert archive_item["satisfied"] and archive_item["archive_acceptance_id"] == str(passed["id"])
    wait_state(platform, registry, POTOU, pid, "accepted")
    # 第二十四条: 通过验收后12个月内 self-evaluation, counted from the acceptance.
    (due,) = [d for d in accepted["deadlines"] if d["code"] == "self_evaluation_due"]
    assert due["due_on"] == deadline_after(today, "P12M").due.isoformat()
    assert due["article"] == "第二十四条" and due["status"] == "open"
    # Every step is an event naming the unit officer who took it.
    events = outbox(platform_db, pid)
    types = [t.removeprefix("govproj.acceptance.") for t, _ in events]
    for expected in (
        "project.completed.v1",
        "project.review_requested.v1",
        "review.passed.v1",
        "acceptance.recorded.v1",
        "project.accepted.v1",
    ):
        assert expected in types, types
    for t, headers in events:
        if t.startswith("govproj.acceptance.project."):
            # ce-actor is percent-encoded JSON (CloudEvents NATS binding, ADR 0004).
            assert '"unit_officer@440804"' in unquote(headers.get("ce-actor", "")), (t, headers)


# ---- 潮州: a filing project goes to acceptance without conformity review ------------------


def test_chaozhou_filing_project_goes_to_acceptance_without_conformity_review(
    platform: RunningPlatform, clients: dict[str, httpx.Client], platform_db: DatabaseUrls
) -> None:
    registry, acceptance, archive = clients["registry"], clients["acceptance"], clients["archive"]
    pid = planned_project(platform, registry, CHAOZHOU)
    submit(platform, registry, CHAOZHOU, pid)
    assert run_workflow(platform, clients["approval"], CHAOZHOU, pid)["route"] == "filing"
    wait_state(platform, registry, CHAOZHOU, pid, "filed")
    today = today_in_china()
    build(platform, clients["budget"], archive, CHAOZHOU, pid, started_on=today, signed_on=today)
    wait_state(platform, registry, CHAOZHOU, pid, "implementing")
    done = complete(platform, acceptance, CHAOZHOU, pid, today)
    plan = done["review_plan"]
    # 潮府办〔2020〕20号 第二十一条: 备案制专业类项目无需进行符合性审查，由建设单位自行组织验收.
    assert plan["mode"] == "self_check" and plan["article"] == "第二十一条"
    assert "无需进行符合性审查" in plan["explanation"]
    # 第二十二条's archive duty is not a precondition; supervision (第十七条) is optional.
    assert [i for i in done["checklist"] if i["mandatory"]] == []
    report = upload(platform, archive, CHAOZHOU, pid, "acceptance_report", "潮州验收报告")
    unit = unit_headers(platform, CHAOZHOU, pid)
    url = f"/v1/projects/{pid}/acceptance"
    # A report of the wrong type is refused with the field named, and nothing changes.
    other = upload(platform, archive, CHAOZHOU, pid, "test_report", "测试报告")
    has_doc(platform, acceptance, CHAOZHOU, pid, report)
    has_doc(platform, acceptance, CHAOZHOU, pid, other)
    wrong = acceptance.post(url, headers=unit, json=acceptance_body(other, today))
    assert wrong.status_code == 422 and problem(wrong)["field"] == "report_document_id"
    assert record_of(platform, acceptance, CHAOZHOU, pid)["state"] == "completed"
    # The bureau cannot hold a professional project's acceptance: the unit organises it.
    r = acceptance.post(
        url,
        headers=platform.headers(CHAOZHOU, "bureau_officer"),
        json=acceptance_body(report, today),
    )
    assert r.status_code in (403, 422), r.text
    keyed = {**unit, "Idempotency-Key": f"accept-{pid}"}
    r = acceptance.post(url, headers=keyed, json=acceptance_body(report, today))
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["state"] == "accepted" and accepted["dates"]["accepted_on"] == today.isoformat()
    # A retried request (same key) answers the same and records nothing twice.
    replay = acceptance.post(url, headers=keyed, json=acceptance_body(report, today))
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert len(record_of(platform, acceptance, CHAOZHOU, pid)["acceptances"]) == 1
    (review,) = accepted["reviews"]
    assert review["mode"] == "self_check" and review["status"] == "passed"
    assert review["decided_by"]["roles"] == ["unit_officer"]  # no bureau review took place
    wait_state(platform, registry, CHAOZHOU, pid, "accepted")
    history = registry.get(f"/v1/projects/{pid}/history", headers=unit).json()
    states = [h["to_state"] for h in history]
    assert states[-3:] == ["completed", "acceptance_review", "accepted"], states
    assert "无需进行符合性审查" in str(history[-2]["reason"]), history[-2]
    # Chaozhou's pack sets no self-evaluation deadline: none is invented.
    assert accepted["deadlines"] == []
    assert "govproj.acceptance.project.accepted.v1" in [t for t, _ in outbox(platform_db, pid)]


# ---- 郁南: an approved professional project goes through the bureau's conformity review ----


def test_yunan_approval_project_needs_the_bureau_conformity_review_before_acceptance(
    platform: RunningPlatform, clients: dict[str, httpx.Client], platform_db: DatabaseUrls
) -> None:
    registry, acceptance, archive = clients["registry"], clients["acceptance"], clients["archive"]
    yunan = "445322"
    pid = planned_project(platform, registry, yunan)
    submit(platform, registry, yunan, pid)
    assert run_workflow(platform, clients["approval"], yunan, pid)["route"] == "approval"
    wait_state(platform, registry, yunan, pid, "approved")
    today = today_in_china()
    build(platform, clients["budget"], archive, yunan, pid, started_on=today, signed_on=today)
    wait_state(platform, registry, yunan, pid, "implementing")
    complete(platform, acceptance, yunan, pid, today)
    unit = unit_headers(platform, yunan, pid)
    bureau = platform.headers(yunan, "bureau_officer")
    report = upload(platform, archive, yunan, pid, "acceptance_report", "郁南验收报告")
    has_doc(platform, acceptance, yunan, pid, report)
    url = f"/v1/projects/{pid}/acceptance"
    # 郁府办〔2024〕21号 第二十一条: 立项审批的专业类项目验收前报县政务和数据局进行验收前置审核.
    early = acceptance.post(url, headers=unit, json=acceptance_body(report, today))
    assert early.status_code == 409 and problem(early)["code"] == "review_required"
    assert "第二十一条" in problem(early)["detail"]
    r = acceptance.post(f"/v1/projects/{pid}/review", headers=unit, json={})
    assert r.status_code == 200, r.text
    plan = r.json()["review_plan"]
    assert (plan["mode"], plan["reviewer_role"], plan["article"]) == (
        "conformity_review",
        "bureau_officer",
        "第二十一条",
    )
    assert plan["report_to"] == "县政务和数据局"  # 验收报告及验收材料报送县政务和数据局备案
    items = {i["code"]: i for i in r.json()["checklist"]}
    mandatory = {c for c, i in items.items() if i["mandatory"]}
    # 第二十一条 数据资源纳入市级管理、支持IPv6; 第二十二条 第三方验收测评、信息安全测评.
    assert mandatory == {
        "data_resource_catalog",
        "ipv6_support",
        "third_party_testing",
        "security_assessment",
    }
    assert items["supervision"]["mandatory"] is False  # 第十六条第（一）项: 100万元以下按需
    decide = f"/v1/projects/{pid}/review/decision"
    own = acceptance.post(decide, headers=unit, json={"outcome": "pass", "opinion": "自审通过"})
    assert own.status_code == 403
    incomplete = acceptance.post(
        decide, headers=bureau, json={"outcome": "pass", "opinion": "同意"}
    )
    assert incomplete.status_code == 409 and set(problem(incomplete)["missing"]) == mandatory

    prove(platform, clients, yunan, pid, "third_party_testing", "test_report")
    prove(platform, clients, yunan, pid, "security_assessment", "security_assessment_report")
    # The bureau returns it: back to completed, with the reason, in the registry too.
    r = acceptance.post(
        decide, headers=bureau, json={"outcome": "return", "opinion": "请补充IPv6改造证明"}
    )
    assert r.status_code == 200 and r.json()["state"] == "completed", r.text

    def returned() -> bool:
        rows = registry.get(f"/v1/projects/{pid}/history", headers=unit).json()
        return rows[-1]["to_state"] == "completed" and "IPv6" in str(rows[-1]["reason"])

    eventually(returned, timeout=20)
    again = acceptance.post(f"/v1/projects/{pid}/review", headers=unit, json={})
    assert again.status_code == 200, again.text
    # The evidence named before the return is kept; only what was missing is still open.
    still = {i["code"] for i in again.json()["checklist"] if i["mandatory"] and not i["satisfied"]}
    assert still == {"data_resource_catalog", "ipv6_support"}
    prove(platform, clients, yunan, pid, "data_resource_catalog", "other")
    prove(platform, clients, yunan, pid, "ipv6_support", "test_report")
    r = acceptance.post(decide, headers=bureau, json={"outcome": "pass", "opinion": "符合建设标准"})
    assert r.status_code == 200, r.text
    passed = r.json()["reviews"][-1]
    assert passed["status"] == "passed" and passed["decided_by"]["roles"] == ["bureau_officer"]
    r = acceptance.post(url, headers=unit, json=acceptance_body(report, today))
    assert r.status_code == 200, r.text
    (due,) = [d for d in r.json()["deadlines"] if d["code"] == "self_evaluation_due"]
    assert due["article"] == "第二十三条"
    assert due["due_on"] == deadline_after(today, "P12M").due.isoformat()
    body = operate_and_evaluate(platform, clients, yunan, pid, today)
    assert body["state"] == "evaluated"
    (met,) = [d for d in body["deadlines"] if d["code"] == "self_evaluation_due"]
    assert met["status"] == "met" and met["met_on"] == today.isoformat()
    wait_state(platform, registry, yunan, pid, "evaluated")
    types = [t for t, _ in outbox(platform_db, pid)]
    assert types.count("govproj.acceptance.project.review_requested.v1") == 2
    assert "govproj.acceptance.project.review_returned.v1" in types
    assert "govproj.acceptance.project.evaluated.v1" in types
