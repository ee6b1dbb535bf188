"""Budget lines, adjustments and usage in the budget service, against the packs' caps.

Projects of 莱州 are judged by a pack in force 2022-09-29..2024-09-28, so they
reach the budget service here as the approval service would send them: the
decision evaluated by the real engine, published on the real NATS as
``approval.project.decided.v1`` and ``approved.v1`` (tests/support/budget.py
``fake_project``). Such a project has no 建设单位, so the bureau keeps its budget
(ADR 0008: a unit officer acts only for its own unit's projects).
"""

from __future__ import annotations

import uuid
from datetime import date

import httpx

from libs.common.testing.platform import RunningPlatform
from tests.support.budget import (
    CHAOZHOU,
    LAIZHOU,
    LAIZHOU_ON,
    POTOU,
    YUNAN,
    add_line,
    archive_document,
    fake_project,
    laizhou_facts,
    lines,
    problem,
    self_managed_project,
    start_procurement,
    until_replicated,
)


def test_yunan_supervision_testing_and_assessment_count_in_the_total(
    platform: RunningPlatform, registry: httpx.Client, budget: httpx.Client
) -> None:
    pid, _ = self_managed_project(platform, registry, budget, amount=60_000)
    for kind, amount in (
        ("construction", 45_000),
        ("supervision", 6_000),
        ("third_party_testing", 4_000),
        ("security_assessment", 5_000),
    ):
        r = add_line(platform, budget, YUNAN, pid, kind=kind, amount=amount)
        assert r.status_code == 201, r.text
        assert r.json()["amount"] == amount and isinstance(r.json()["amount"], int)
    # Operations are budgeted per year, outside the investment total.
    ops = add_line(platform, budget, YUNAN, pid, kind="operations", amount=1_000, year=2030)
    assert ops.status_code == 201, ops.text
    headers = platform.headers(YUNAN, "bureau_officer")
    by_kind = {x["kind"]: x["id"] for x in lines(platform, budget, YUNAN, pid)}
    # Moving one yuan of operations into construction would pass the 60,000 total.
    over = budget.post(
        f"/v1/projects/{pid}/adjustments",
        headers=headers,
        json={
            "from_line_id": by_kind["operations"],
            "to_line_id": by_kind["construction"],
            "amount": 1,
            "reason": "运维费调入建设",
        },
    )
    assert over.status_code == 422 and problem(over)["article"] == "第十六条第（三）项"
    # Between investment lines the total stays; Yunan has no self-adjustment limit.
    moved = budget.post(
        f"/v1/projects/{pid}/adjustments",
        headers=headers,
        json={
            "from_line_id": by_kind["construction"],
            "to_line_id": by_kind["supervision"],
            "amount": 45_000,
            "reason": "监理范围扩大",
        },
    )
    assert moved.status_code == 201 and moved.json()["adjustment_cap"] is None
    summary = budget.get(f"/v1/projects/{pid}/budget", headers=headers).json()
    assert summary["investment_total"] == 60_000 and summary["total"] == 60_000
    assert {x["kind"]: x["amount"] for x in summary["lines"]} == {
        "construction": 0,
        "supervision": 51_000,
        "third_party_testing": 4_000,
        "security_assessment": 5_000,
        "operations": 1_000,
    }
    dup = add_line(platform, budget, YUNAN, pid, kind="construction", amount=1)
    assert dup.status_code == 409 and problem(dup)["title"] == "该预算科目已存在"
    same_year = add_line(platform, budget, YUNAN, pid, kind="operations", amount=1, year=2030)
    assert same_year.status_code == 409


def test_a_line_that_breaks_the_total_is_refused_with_the_article_and_nothing_changes(
    platform: RunningPlatform, registry: httpx.Client, budget: httpx.Client
) -> None:
    pid, _ = self_managed_project(platform, registry, budget, amount=50_000)
    assert (
        add_line(platform, budget, YUNAN, pid, kind="construction", amount=45_000).status_code
        == 201
    )
    r = add_line(platform, budget, YUNAN, pid, kind="security_assessment", amount=5_001)
    assert r.status_code == 422, r.text
    body = problem(r)
    assert body["title"] == "预算科目合计超过项目总投资"
    assert body["article"] == "第十六条第（三）项" and "纳入总投资" in body["explanation"]
    assert body["policy"]["document"] == "郁府办〔2024〕21号"
    assert [x["kind"] for x in lines(platform, budget, YUNAN, pid)] == ["construction"]
    assert (
        add_line(platform, budget, YUNAN, pid, kind="security_assessment", amount=5_000).status_code
        == 201
    )
    for bad in (
        {"kind": "construction", "amount": 1.5},
        {"kind": "construction", "amount": "1"},
        {"kind": "operations", "amount": 1},
        {"kind": "supervision", "amount": 1, "year": 2030},
        {"kind": "rent", "amount": 1},
    ):
        r = add_line(platform, budget, YUNAN, pid, **bad)
        assert r.status_code == 422, (bad, r.text)
    assert len(lines(platform, budget, YUNAN, pid)) == 2


def test_laizhou_operations_free_three_years_then_ten_percent_and_adjustments_capped(
    platform: RunningPlatform, nats_url: str, budget: httpx.Client
) -> None:
    pid, _ = fake_project(platform, nats_url, budget, LAIZHOU, laizhou_facts(1_000_000), LAIZHOU_ON)
    ids = {}
    for kind, amount in (
        ("construction", 900_000),
        ("supervision", 50_000),
        ("third_party_testing", 30_000),
        ("security_assessment", 20_000),
    ):
        r = add_line(platform, budget, LAIZHOU, pid, kind=kind, amount=amount)
        assert r.status_code == 201, r.text
        ids[kind] = r.json()["id"]
    # 第二十九条: 免费运维期一般不少于3年.
    r = add_line(
        platform, budget, LAIZHOU, pid, kind="operations", amount=10_000, year=2026, service_year=3
    )
    assert r.status_code == 422 and problem(r)["article"] == "第二十九条"
    assert problem(r)["title"] == "免费运维期内不得安排运维费用"
    # ……原则每年不超过建设总投入费用的10%: 100,000 of 1,000,000 is the most.
    r = add_line(
        platform, budget, LAIZHOU, pid, kind="operations", amount=100_001, year=2027, service_year=4
    )
    assert r.status_code == 422 and problem(r)["code"] == "operations_over_cap"
    r = add_line(
        platform, budget, LAIZHOU, pid, kind="operations", amount=100_000, year=2027, service_year=4
    )
    assert r.status_code == 201, r.text
    free = add_line(
        platform, budget, LAIZHOU, pid, kind="operations", amount=0, year=2026, service_year=3
    )
    assert free.status_code == 201  # the free years may be shown at zero

    # 第十九条第二款: adjustments together at most 15% of 1,000,000, before procurement.
    headers = platform.headers(LAIZHOU, "bureau_officer")

    def adjust(amount: int, src: str = "construction", dst: str = "supervision") -> httpx.Response:
        return budget.post(
            f"/v1/projects/{pid}/adjustments",
            headers=headers,
            json={
                "from_line_id": ids[src],
                "to_line_id": ids[dst],
                "amount": amount,
                "reason": "技术方案完善优化（第十九条第二款第（二）项）",
            },
        )

    first = adjust(100_000)
    assert first.status_code == 201, first.text
    assert first.json()["adjustment_cap"] == 150_000 and first.json()["article"] == "第十九条第二款"
    over = adjust(50_001)
    assert over.status_code == 422 and problem(over)["article"] == "第十九条第二款"
    assert problem(over)["title"] == "资金调整数额超过自行调整上限"
    assert adjust(50_000, dst="third_party_testing").status_code == 201
    amounts = {
        x["kind"]: x["amount"] for x in lines(platform, budget, LAIZHOU, pid) if x["year"] is None
    }
    assert amounts == {
        "construction": 750_000,
        "supervision": 150_000,
        "third_party_testing": 80_000,
        "security_assessment": 20_000,
    }
    start_procurement(platform, budget, LAIZHOU, pid, "public_tender")
    late = adjust(1, src="supervision", dst="construction")
    assert late.status_code == 422 and problem(late)["code"] == "adjustment_after_procurement"
    summary = budget.get(f"/v1/projects/{pid}/budget", headers=headers).json()
    assert summary["investment_total"] == 1_000_000 and summary["total"] == 1_000_000


def test_surplus_goes_back_by_the_original_channel_and_usage_reports_state_exact_figures(
    platform: RunningPlatform, nats_url: str, budget: httpx.Client
) -> None:
    pid, _ = fake_project(
        platform,
        nats_url,
        budget,
        LAIZHOU,
        laizhou_facts(300_000),
        LAIZHOU_ON,
        approved_amount=299_999,
    )
    headers = platform.headers(LAIZHOU, "bureau_officer")
    line = add_line(platform, budget, LAIZHOU, pid, kind="construction", amount=299_999).json()
    start_procurement(platform, budget, LAIZHOU, pid, "inquiry")
    pay = budget.post(
        f"/v1/projects/{pid}/disbursements",
        headers=headers,
        json={
            "line_id": line["id"],
            "amount": 250_000,
            "paid_on": "2023-06-30",
            "voucher_no": f"PAY-{pid[:8]}-1",
        },
    )
    assert pay.status_code == 201, pay.text
    too_much = budget.post(
        f"/v1/projects/{pid}/surplus-returns",
        headers=headers,
        json={"amount": 50_000, "returned_on": "2023-12-20", "voucher_no": f"RET-{pid[:8]}"},
    )
    assert (
        too_much.status_code == 409 and "结余4.9999万元（49,999元）" in problem(too_much)["detail"]
    )
    other = budget.post(
        f"/v1/projects/{pid}/surplus-returns",
        headers=headers,
        json={
            "amount": 1,
            "returned_on": "2023-12-20",
            "voucher_no": "X",
            "channel": "other_account",
        },
    )
    assert other.status_code == 422 and problem(other)["field"] == "channel"
    ret = budget.post(
        f"/v1/projects/{pid}/surplus-returns",
        headers=headers,
        json={"amount": 49_999, "returned_on": "2023-12-20", "voucher_no": f"RET-{pid[:8]}"},
    )
    assert ret.status_code == 201, ret.text
    # 莱州 第十九条第一款 holds the rule even though the decision predates the surplus.
    assert ret.json()["article"] == "第十九条第一款" and ret.json()["balance"] == 0
    report = budget.post(
        f"/v1/projects/{pid}/usage-reports",
        headers=headers,
        json={"period_start": "2023-01-01", "period_end": "2023-12-31"},
    )
    assert report.status_code == 201, report.text
    figures = report.json()["figures"]
    assert figures["disbursed_total"] == 250_000 and figures["surplus_returned_total"] == 49_999
    assert figures["approved_total"] == 299_999 and figures["by_line"][0]["balance"] == 49_999
    again = budget.post(
        f"/v1/projects/{pid}/usage-reports",
        headers=headers,
        json={"period_start": "2023-01-01", "period_end": "2023-12-31"},
    )
    assert again.status_code == 409


def test_potou_usage_report_cites_article_15(
    platform: RunningPlatform, nats_url: str, budget: httpx.Client
) -> None:
    facts = {
        "project_class": "professional",
        "service_types": ["software_development"],
        "amount": 400_000,
        "software_amount": 400_000,
    }
    pid, body = fake_project(platform, nats_url, budget, POTOU, facts, date(2025, 3, 1))
    assert any(r["code"] == "fund_usage_report" for r in body["requirements"])
    r = budget.post(
        f"/v1/projects/{pid}/usage-reports",
        headers=platform.headers(POTOU, "bureau_officer"),
        json={
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "narrative": "一季度尚未支付",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["article"] == "第十五条"
    assert r.json()["figures"]["disbursed_in_period"] == 0
    bad = budget.post(
        f"/v1/projects/{pid}/usage-reports",
        headers=platform.headers(POTOU, "bureau_officer"),
        json={"period_start": "2025-04-01", "period_end": "2025-03-31"},
    )
    assert bad.status_code == 422 and problem(bad)["field"] == "period_end"


def test_chaozhou_new_fiscal_funds_need_the_finance_opinion_before_they_are_budgeted(
    platform: RunningPlatform, nats_url: str, budget: httpx.Client
) -> None:
    facts = {
        "project_class": "professional",
        "service_types": ["software_development"],
        "amount": 800_000,
        "software_amount": 800_000,
        "new_fiscal_funds": True,
    }
    # 潮府办〔2020〕20号 第十二条: 800,000 of software is a 备案 project.
    pid, body = fake_project(
        platform, nats_url, budget, CHAOZHOU, facts, date(2025, 3, 1), outcome="filed"
    )
    assert body["route"]["code"] == "filing"
    r = add_line(
        platform, budget, CHAOZHOU, pid, kind="construction", amount=700_000, funding="new_fiscal"
    )
    assert r.status_code == 422, r.text
    assert problem(r)["article"] == "第十三条"
    assert problem(r)["title"] == "涉及财政新增资金的预算须附财政部门意见"
    assert lines(platform, budget, CHAOZHOU, pid) == []

    def with_opinion(opinion: str) -> httpx.Response:
        return add_line(
            platform,
            budget,
            CHAOZHOU,
            pid,
            kind="construction",
            amount=700_000,
            funding="new_fiscal",
            finance_opinion_document_id=opinion,
        )

    # Issue 16 item 9: a made-up id, or another project's document, is no 财政部门意见.
    made_up = with_opinion(str(uuid.uuid4()))
    assert made_up.status_code == 422, made_up.text
    assert problem(made_up)["field"] == "finance_opinion_document_id"
    opinion = archive_document(platform, CHAOZHOU, pid, "review_opinion")
    ok = until_replicated(lambda: with_opinion(opinion), "finance_opinion_document_id")
    assert ok.status_code == 201 and ok.json()["finance_opinion_document_id"] == opinion
    # Funds already in the department's budget need no new opinion (第十三条 speaks of 新增).
    assert (
        add_line(
            platform, budget, CHAOZHOU, pid, kind="supervision", amount=20_000, funding="fiscal"
        ).status_code
        == 201
    )
