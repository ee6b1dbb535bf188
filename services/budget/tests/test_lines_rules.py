"""The budget rules against decisions of the real packs, with the regulations' own numbers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from policies.tests.support import decision, registry, source_text
from services.budget.lines import rules
from services.budget.lines.service import missing_lines
from services.budget.tests.factories import laizhou_decision, professional_decision


def laizhou(amount: int = 800_000, **facts: Any) -> dict[str, Any]:
    return laizhou_decision(amount, **facts)


def yunan(amount: int = 1_200_000) -> dict[str, Any]:
    return _professional("445322", amount)


def _professional(tenant: str, amount: int) -> dict[str, Any]:
    return professional_decision(tenant, amount, on=date(2025, 3, 1), in_annual_plan=True)


def chaozhou(amount: int) -> dict[str, Any]:
    return _professional("445100", amount)


def potou(amount: int) -> dict[str, Any]:
    return _professional("440804", amount)


def test_laizhou_operations_are_free_for_three_years_then_capped_at_ten_percent() -> None:
    d = laizhou()
    text = source_text("370683-laizhou")
    assert "免费运维期一般不少于3年" in text and "原则每年不超过建设总投入费用的10%" in text
    # 第二十九条: years 1..3 after acceptance are free.
    for year in (1, 2, 3):
        v = rules.check_operations(d, service_year=year, amount=1, construction_total=800_000)
        assert v is not None and v.code == "operations_in_free_period"
        assert v.articles == ["第二十九条"]
    # Year 4: at most 10% of 800,000 = 80,000 (不超过 includes the cap itself).
    assert (
        rules.check_operations(d, service_year=4, amount=80_000, construction_total=800_000) is None
    )
    over = rules.check_operations(d, service_year=4, amount=80_001, construction_total=800_000)
    assert over is not None and over.code == "operations_over_cap"
    assert over.articles == ["第二十九条"] and "8万元（80,000元）" in over.detail
    # A zero line in the free period states the free maintenance; it breaks nothing.
    assert rules.check_operations(d, service_year=1, amount=0, construction_total=800_000) is None


def test_operations_caps_round_down_to_whole_yuan() -> None:
    d = laizhou()
    # 10% of 123,457 is 12,345.7: the cap is 12,345 yuan, never a fraction.
    assert rules.share(123_457, "0.10") == 12_345
    assert (
        rules.check_operations(d, service_year=5, amount=12_345, construction_total=123_457) is None
    )
    assert rules.check_operations(d, service_year=5, amount=12_346, construction_total=123_457)


def test_yunan_has_no_operations_cap_but_counts_supervision_testing_assessment_in_the_total() -> (
    None
):
    d = yunan()
    assert rules.check_operations(d, service_year=1, amount=500_000, construction_total=1) is None
    v = rules.check_investment_total(
        d, total=1_200_000, lines_total=1_200_001, approval_article=None
    )
    assert v is not None and v.code == "budget_exceeds_total"
    # 郁南 第十六条第（三）项: 监理费用、第三方测试费用和安全评估费用纳入总投资.
    assert v.articles[0] == "第十六条第（三）项"
    assert {"第十六条第（一）项", "第十六条第（二）项"} <= set(v.articles)
    assert "纳入总投资" in source_text("445322-yunan")
    assert (
        rules.check_investment_total(
            d, total=1_200_000, lines_total=1_200_000, approval_article=None
        )
        is None
    )


def test_laizhou_adjustments_count_together_against_fifteen_percent_before_procurement() -> None:
    d = laizhou(1_000_000)
    assert "15%" in source_text("370683-laizhou")
    ok = rules.check_adjustment(
        d, total=1_000_000, adjusted_before=100_000, amount=50_000, status="approved"
    )
    assert ok is None  # exactly 150,000 = 15%
    over = rules.check_adjustment(
        d, total=1_000_000, adjusted_before=100_000, amount=50_001, status="approved"
    )
    assert over is not None and over.code == "adjustment_over_limit"
    assert over.articles == ["第十九条第二款"]
    late = rules.check_adjustment(
        d, total=1_000_000, adjusted_before=0, amount=1, status="implementing"
    )
    assert late is not None and late.code == "adjustment_after_procurement"
    # 潮州 第二十条 and 坡头 第二十一条 set no "before procurement": an adjustment in
    # implementation counts only against the 15%.
    for other in (chaozhou(1_000_000), potou(1_000_000)):
        assert (
            rules.check_adjustment(
                other, total=1_000_000, adjusted_before=0, amount=1, status="implementing"
            )
            is None
        )
    # Yunan's pack has no self-adjustment limit: nothing to count against.
    assert (
        rules.check_adjustment(
            yunan(), total=1, adjusted_before=10, amount=10, status="implementing"
        )
        is None
    )


def test_chaozhou_new_fiscal_funds_need_the_finance_opinion() -> None:
    pack = registry().pack_for("445100", date(2025, 3, 1))
    facts = {
        "project_class": "professional",
        "service_types": ["software_development"],
        "amount": 800_000,
        "software_amount": 800_000,
        "new_fiscal_funds": True,
    }
    d = decision(pack, facts, date(2025, 3, 1))
    v = rules.check_new_fiscal(d, funding="new_fiscal", opinion_document=None)
    assert v is not None and v.articles == ["第十三条"]
    assert rules.check_new_fiscal(d, funding="new_fiscal", opinion_document="doc") is None
    assert rules.check_new_fiscal(d, funding="fiscal", opinion_document=None) is None
    without = decision(pack, {**facts, "new_fiscal_funds": False}, date(2025, 3, 1))
    assert rules.check_new_fiscal(without, funding="new_fiscal", opinion_document=None) is None


@pytest.mark.parametrize("period,years", [("P3Y", 3), ("P36M", 3), ("P30M", 3), ("P1Y", 1)])
def test_free_period_in_whole_years(period: str, years: int) -> None:
    assert rules._years(period) == years


def test_yunan_one_million_needs_supervision_and_testing_lines_but_less_does_not() -> None:
    # 第十六条第（一）项 投资总额100万元以上（含）必须实行监理; 第（二）项 应用软件开发费用100万元以上（含）
    # 必须第三方测试; 第（三）项 必须聘请有资质的单位开展安全评估; 第二十二条 验收包括第三方验收测评.
    missing = {m["kind"]: m["articles"] for m in missing_lines(yunan(1_000_000), {"construction"})}
    assert missing == {
        "supervision": ["第十六条第（一）项"],
        "third_party_testing": ["第十六条第（二）项", "第二十二条"],
        "security_assessment": ["第十六条第（三）项", "第二十二条"],
    }
    # 100万元以下按需实行监理: no longer missing; 验收测评 and 信息安全测评 (第二十二条) still are.
    below = {m["kind"]: m["articles"] for m in missing_lines(yunan(999_999), {"construction"})}
    assert below == {
        "third_party_testing": ["第二十二条"],
        "security_assessment": ["第十六条第（三）项", "第二十二条"],
    }
