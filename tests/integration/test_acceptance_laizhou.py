"""莱州 on the running platform: the 6,000,000 project's reports, its deadlines reaching 烟台, 双随机.

莱政办发〔2022〕6号 was in force 2022-09-29..2024-09-28, so these projects are
submitted then and built in 2023–2024: their deadlines have long passed, which
is what the overdue case needs.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from libs.common.deadlines import deadline_after, today_in_china
from libs.common.testing.platform import RunningPlatform
from libs.common.testing.pytest_plugin import DatabaseUrls
from tests.integration.acceptance_support import (
    UNITS,
    accept_laizhou,
    acceptance_body,
    has_doc,
    laizhou_project,
    outbox,
    record_of,
    unit_headers,
    upload,
)
from tests.support.registry import problem, wait_state

LAIZHOU, YANTAI, POTOU, ZHANJIANG = "370683", "370600", "440804", "440800"


def _deadline(record: dict[str, Any], code: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [d for d in record["deadlines"] if d["code"] == code]
    (row,) = rows
    return row


def test_laizhou_6m_cannot_pass_pre_acceptance_without_supervision_and_test_reports(
    platform: RunningPlatform,
    clients: dict[str, httpx.Client],
    platform_db: DatabaseUrls,
) -> None:
    c = clients
    acceptance, archive = c["acceptance"], c["archive"]
    pid = laizhou_project(platform, c)
    unit = unit_headers(platform, LAIZHOU, pid)
    rec = record_of(platform, acceptance, LAIZHOU, pid)
    # 第二十四条 建设期内每年年底前 (from the contract), 第二十三条第二款 建成后半年内.
    assert _deadline(rec, "performance_report_due")["due_on"] == "2023-12-31"
    acceptance_due = _deadline(rec, "acceptance_due")
    assert (acceptance_due["due_on"], acceptance_due["article"]) == (
        "2024-09-04",
        "第二十三条第二款",
    )
    r = acceptance.post(f"/v1/projects/{pid}/review", headers=unit, json={"note": "申请验收"})
    assert r.status_code == 200, r.text
    review = r.json()
    assert review["state"] == "acceptance_review"
    plan = review["review_plan"]
    # 第二十三条 asks for the reports, names no prior review by the bureau: the unit's own check.
    assert plan["mode"] == "self_check" and plan["acceptance_article"] == "第二十三条第二款"
    items = {i["code"]: i for i in review["checklist"]}
    for code in ("supervision", "third_party_testing"):
        assert items[code]["mandatory"] and items[code]["citations"][0]["article"] == "第二十三条"
    decide = f"/v1/projects/{pid}/review/decision"
    refused = acceptance.post(decide, headers=unit, json={"outcome": "pass", "opinion": "材料齐全"})
    assert refused.status_code == 409, refused.text
    body = problem(refused)
    assert body["code"] == "checklist_incomplete" and body["title"] == "缺少验收前置审核必备材料"
    assert {"supervision", "third_party_testing"} <= set(body["missing"])
    assert "监理报告（第二十三条）" in body["detail"]
    # Acceptance cannot jump the list either.
    report = upload(platform, archive, LAIZHOU, pid, "acceptance_report", "莱州验收报告")
    has_doc(platform, acceptance, LAIZHOU, pid, report)
    early = acceptance.post(
        f"/v1/projects/{pid}/acceptance",
        headers=unit,
        json=acceptance_body(report, date(2024, 6, 10)),
    )
    assert early.status_code == 409 and problem(early)["code"] == "checklist_incomplete"
    # Evidence must be the right kind of archived document.
    docs = {
        code: upload(platform, archive, LAIZHOU, pid, doc_type, title)
        for code, doc_type, title in (
            ("supervision", "supervision_report", "监理总结报告"),
            ("third_party_testing", "test_report", "第三方软件验收测评报告"),
            ("security_assessment", "security_assessment_report", "等级保护测评报告"),
            ("data_resource_catalog", "other", "数据资源编目与共享登记"),
        )
    }
    for doc in docs.values():
        has_doc(platform, acceptance, LAIZHOU, pid, doc)
    put = f"/v1/projects/{pid}/review/items"
    wrong = acceptance.put(
        f"{put}/supervision",
        headers=unit,
        json={"evidence_document_ids": [docs["third_party_testing"]]},
    )
    assert wrong.status_code == 422 and problem(wrong)["field"] == "evidence_document_ids[0]"
    for code, doc in docs.items():
        r = acceptance.put(f"{put}/{code}", headers=unit, json={"evidence_document_ids": [doc]})
        assert r.status_code == 200, r.text
    # Another county's officer cannot touch it (404, not 403).
    assert (
        acceptance.post(
            decide,
            headers=platform.headers(POTOU, "unit_officer", unit=UNITS[pid]),
            json={"outcome": "pass", "opinion": "x"},
        ).status_code
        == 404
    )
    r = acceptance.post(decide, headers=unit, json={"outcome": "pass", "opinion": "验收条件齐备"})
    assert r.status_code == 200, r.text
    r = acceptance.post(
        f"/v1/projects/{pid}/acceptance",
        headers=unit,
        json=acceptance_body(report, date(2024, 6, 10)),
    )
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["state"] == "accepted"
    met = _deadline(accepted, "acceptance_due")
    assert met["status"] == "met" and met["met_on"] == "2024-06-10"
    # 第十五条: 500万元以上 → 标准 within a year of acceptance.
    standard = _deadline(accepted, "standard_due")
    assert (standard["due_on"], standard["article"]) == ("2025-06-10", "第十五条")
    r = acceptance.post(
        f"/v1/projects/{pid}/operation", headers=unit, json={"in_operation_on": "2024-07-01"}
    )
    assert r.status_code == 200, r.text
    # 第三十四条: self-evaluation within 12 months of 投入使用.
    assert _deadline(r.json(), "self_evaluation_due")["due_on"] == "2025-07-01"
    wait_state(platform, c["registry"], LAIZHOU, pid, "in_operation")
    types = [t for t, _ in outbox(platform_db, pid)]
    assert "govproj.acceptance.review.item_updated.v1" in types
    assert types.count("govproj.acceptance.deadline.scheduled.v1") == 4


def test_an_overdue_acceptance_reaches_the_city_once_and_an_extension_reopens_it(
    platform: RunningPlatform,
    clients: dict[str, httpx.Client],
    platform_db: DatabaseUrls,
) -> None:
    c = clients
    acceptance = c["acceptance"]
    pid = laizhou_project(platform, c)  # completed 2024-03-04, never accepted: due 2024-09-04
    bureau = platform.headers(LAIZHOU, "bureau_officer")
    city = platform.headers(YANTAI, "overseer")
    first = acceptance.post("/v1/deadlines/sweep", headers=bureau)
    assert first.status_code == 200, first.text
    assert first.json()["sent"][LAIZHOU]["overdue"] >= 1
    seen = acceptance.get(
        "/v1/deadlines",
        headers=city,
        params={"status": "overdue", "tenant": LAIZHOU, "limit": 200},
    ).json()
    mine = [d for d in seen if d["project_id"] == pid and d["code"] == "acceptance_due"]
    assert len(mine) == 1 and mine[0]["due_on"] == "2024-09-04" and mine[0]["tenant_id"] == LAIZHOU
    # Counties never see each other; another city does not oversee Laizhou.
    for other in (platform.headers(POTOU, "overseer"), platform.headers(ZHANJIANG, "overseer")):
        theirs = acceptance.get("/v1/deadlines", headers=other, params={"limit": 200}).json()
        assert pid not in {d["project_id"] for d in theirs}
    # ADR 0008: the city reads its counties and writes nothing there, not even a sweep
    # (it would record notices in the county); the county's bureau sweeps again: nothing twice.
    assert acceptance.post("/v1/deadlines/sweep", headers=city).status_code == 403
    again = acceptance.post("/v1/deadlines/sweep", headers=bureau)
    assert again.status_code == 200 and again.json()["tenants"] == [LAIZHOU]
    events = outbox(platform_db, pid)
    overdue = [h for t, h in events if t == "govproj.acceptance.deadline.overdue.v1"]
    # acceptance_due and the 2023 performance report: one notice each, no reminder for past days.
    assert len(overdue) == 2
    assert "govproj.acceptance.deadline.reminder.v1" not in [t for t, _ in events]
    # 第二十三条第二款: the unit asks the approving department for an extension.
    unit = unit_headers(platform, LAIZHOU, pid)
    url = f"/v1/projects/{pid}/deadlines/acceptance_due/extensions"
    bad = acceptance.post(url, headers=unit, json={"until": "2024-08-01", "reason": "设备到货延迟"})
    assert bad.status_code == 422 and problem(bad)["field"] == "until"
    no = acceptance.post(
        f"/v1/projects/{pid}/deadlines/performance_report_due/extensions",
        headers=unit,
        json={"until": "2030-01-01", "reason": "x"},
    )
    assert no.status_code == 409 and problem(no)["code"] == "not_extensible"
    r = acceptance.post(
        url, headers=unit, json={"until": "2030-06-30", "reason": "第三方测评排期延后"}
    )
    assert r.status_code == 201, r.text
    ext = r.json()
    refused = acceptance.post(
        f"/v1/extensions/{ext['id']}/decision",
        headers=unit,
        json={"outcome": "grant", "opinion": "x"},
    )
    assert refused.status_code == 403
    r = acceptance.post(
        f"/v1/extensions/{ext['id']}/decision",
        headers=bureau,
        json={"outcome": "grant", "opinion": "同意延期验收"},
    )
    assert r.status_code == 200 and r.json()["status"] == "granted", r.text
    rec = record_of(platform, acceptance, LAIZHOU, pid)
    row = _deadline(rec, "acceptance_due")
    assert (row["status"], row["due_on"], row["original_due_on"]) == (
        "open",
        "2030-06-30",
        "2024-09-04",
    )
    still = acceptance.get(
        "/v1/deadlines",
        headers=city,
        params={"status": "overdue", "tenant": LAIZHOU, "limit": 200},
    ).json()
    assert (pid, "acceptance_due") not in {(d["project_id"], d["code"]) for d in still}
    assert "govproj.acceptance.deadline.extension_granted.v1" in [
        t for t, _ in outbox(platform_db, pid)
    ]


def test_a_reminder_goes_out_once_before_the_last_day(
    platform: RunningPlatform, clients: dict[str, httpx.Client], platform_db: DatabaseUrls
) -> None:
    # Completed so that the six months end within the 30-day notice period.
    completed_on = today_in_china() - timedelta(days=170)
    pid = laizhou_project(platform, clients, completed_on)
    due = deadline_after(completed_on, "P6M").due
    assert today_in_china() <= due <= today_in_china() + timedelta(days=30)
    bureau = platform.headers(LAIZHOU, "bureau_officer")
    for _ in range(2):
        assert clients["acceptance"].post("/v1/deadlines/sweep", headers=bureau).status_code == 200
    events = outbox(platform_db, pid)
    reminders = [h for t, h in events if t == "govproj.acceptance.deadline.reminder.v1"]
    assert len(reminders) == 1
    rec = record_of(platform, clients["acceptance"], LAIZHOU, pid)
    row = _deadline(rec, "acceptance_due")
    assert row["due_on"] == due.isoformat() and row["reminded_at"] and row["status"] == "open"
    assert row["overdue_at"] is None  # not late: no overdue notice for it


def test_double_random_draw_is_recorded_reproducible_and_stays_in_its_pool(
    platform: RunningPlatform,
    clients: dict[str, httpx.Client],
) -> None:
    c = clients
    acceptance, archive = c["acceptance"], c["archive"]
    pid = laizhou_project(platform, c)
    unit = unit_headers(platform, LAIZHOU, pid)
    # A project that is not yet accepted is outside the pool (第三十四条: 根据项目建设、使用情况).
    bureau = platform.headers(LAIZHOU, "bureau_officer")
    register = "/v1/draw-register"
    assert pid not in {e["project_id"] for e in acceptance.get(register, headers=bureau).json()}
    # 5,000,000 and more: the reports of 第二十三条 come first (the unit's own check).
    accept_laizhou(platform, c, pid, date(2024, 5, 6))
    # The register, not the caller, makes the pool (issue 16: a caller's seed or pool steered it).
    entries = acceptance.get(register, headers=bureau).json()
    assert {"project_id": pid, "article": "第三十四条"}.items() <= next(
        e for e in entries if e["project_id"] == pid
    ).items()
    evaluators = ["孙专家", "李专家", "周专家", "吴专家"]
    body = {
        "year": 2025,
        "count": len(entries),  # all of them: the drawn project is this one whatever the seed
        "evaluator_pool": evaluators,
        "evaluator_count": 2,
    }
    steered = acceptance.post(
        "/v1/draws", headers=bureau, json={**body, "seed": "chosen-seed-0001", "project_ids": [pid]}
    )
    assert steered.status_code == 422 and problem(steered)["field"] in ("seed", "project_ids")
    assert acceptance.post("/v1/draws", headers=unit, json=body).status_code == 403
    r = acceptance.post("/v1/draws", headers=bureau, json=body)
    assert r.status_code == 201, r.text
    committed = r.json()
    assert committed["status"] == "committed" and committed["seed"] is None
    # One authoritative draw per tenant and year.
    assert acceptance.post("/v1/draws", headers=bureau, json=body).status_code == 409
    r = acceptance.post(f"/v1/draws/{committed['draw_id']}/execution", headers=bureau)
    assert r.status_code == 200, r.text
    drawn = r.json()
    assert pid in drawn["projects"] and pid in drawn["project_pool"]
    assert set(drawn["evaluators"]) <= set(evaluators) and len(drawn["evaluators"]) == 2
    assert drawn["article"] == "第三十四条" and len(drawn["seed"]) == 32
    assert hashlib.sha256(drawn["seed"].encode()).hexdigest() == committed["commitment"]
    check = acceptance.get(f"/v1/draws/{drawn['draw_id']}/verification", headers=bureau).json()
    assert check["reproduced"] and check["within_pool"] and check["commitment_matches"]
    # The post-evaluation of the drawn project cites the draw; an undrawn one is refused.
    evaluation = upload(platform, archive, LAIZHOU, pid, "evaluation_report", "绩效后评估报告")
    has_doc(platform, acceptance, LAIZHOU, pid, evaluation)
    post = {
        "kind": "post_evaluation",
        "report_document_id": evaluation,
        "submitted_on": "2025-11-20",
        "summary": "绩效目标基本实现",
        "rating": "良",
    }
    r = acceptance.post(f"/v1/projects/{pid}/evaluations", headers=bureau, json=post)
    assert r.status_code == 422 and problem(r)["field"] == "draw_id"
    r = acceptance.post(
        f"/v1/projects/{pid}/evaluations",
        headers=bureau,
        json={**post, "draw_id": drawn["draw_id"]},
    )
    assert r.status_code == 201, r.text
    (ev,) = r.json()["evaluations"]
    assert ev["kind"] == "post_evaluation" and ev["article"] == "第三十四条"


@pytest.mark.parametrize("tenant", [POTOU])
def test_a_draw_needs_a_post_evaluation_in_the_decision(
    platform: RunningPlatform,
    clients: dict[str, httpx.Client],
    tenant: str,
) -> None:
    # ADR 0008: 双随机抽取 is the bureau's; finance acts on its own review steps only.
    body = {"year": 2025, "count": 999}
    acceptance = clients["acceptance"]
    finance = acceptance.post(
        "/v1/draws", headers=platform.headers(tenant, "finance_officer"), json=body
    )
    assert finance.status_code == 403
    # Nothing accepted in this tenant allows one yet (or the pool is smaller than asked).
    r = acceptance.post("/v1/draws", headers=platform.headers(tenant, "bureau_officer"), json=body)
    assert r.status_code == 422 and problem(r)["field"] == "count"


def test_every_acceptance_event_on_the_platform_matches_its_schema(
    platform_db: DatabaseUrls,
) -> None:
    import jsonschema  # type: ignore[import-untyped]
    import psycopg

    from services.acceptance.event_schemas import schema_for

    with psycopg.connect(platform_db.admin) as conn:
        rows = conn.execute("SELECT type, payload, headers FROM acceptance.outbox").fetchall()
    checker = jsonschema.FormatChecker()
    for event_type, payload, headers in rows:
        jsonschema.validate(payload, schema_for(event_type), format_checker=checker)
        assert headers.get("ce-actor"), event_type  # every event names its actor
