"""The funds section: forms checked in Chinese before anything is sent, and what the page shows."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.datastructures import FormData

from services.portal.pages.forms import FormErrors
from services.portal.pages.funds_forms import FORMS
from services.portal.web import templates

LINE = {
    "id": "l-1", "kind": "construction", "year": None, "service_year": None, "amount": 680_000,
    "funding": "fiscal", "note": None, "disbursed_total": 200_000, "balance": 480_000,
}  # fmt: skip
BUDGET: dict[str, Any] = {
    "status": "approved", "amount": 800_000, "approved_amount": 800_000,
    "finance_approved_amount": None, "arranged_total": 750_000, "disbursed_total": 200_000,
    "surplus_returned_total": 0, "balance": 600_000, "lines": [LINE], "finance_reviews": [],
    "arrangements": [], "adjustments": [], "disbursements": [], "usage_reports": [],
    "surplus_returns": [], "usage_report_due": None,
    "missing_lines": [{"kind": "third_party_testing", "article": "第二十二条"}],
}  # fmt: skip


def _check(name: str, **fields: str) -> dict[str, Any]:
    return FORMS[name].build(FormData(list(fields.items())), BUDGET)


def _refusal(name: str, **fields: str) -> str:
    with pytest.raises(FormErrors) as caught:
        _check(name, **fields)
    return caught.value.summary


@pytest.mark.parametrize("typed", ["20万", "20万元", "200,000", "200000"])
def test_a_payment_is_read_in_wan_or_yuan(typed: str) -> None:
    body = _check(
        "disbursement", line_id="l-1", amount=typed, paid_on="2026-12-01", voucher_no="ZF-1"
    )
    assert body == {
        "line_id": "l-1", "amount": 200_000, "paid_on": "2026-12-01", "voucher_no": "ZF-1"
    }  # fmt: skip


def test_a_payment_above_the_lines_remainder_is_refused_in_wan_and_yuan() -> None:
    message = _refusal(
        "disbursement", line_id="l-1", amount="50万", paid_on="2026-12-01", voucher_no="ZF-2"
    )
    assert message == "支付金额50万元（500,000元）超过建设费用的剩余48万元（480,000元），未登记"


def test_unfit_fields_are_named_in_chinese() -> None:
    assert "凭证号" in _refusal(
        "disbursement", line_id="l-1", amount="1万", paid_on="2026-12-01", voucher_no="支付 1"
    )
    assert "请选择预算科目" in _refusal("disbursement", line_id="x", amount="1", paid_on="x")
    assert "已编报" in _refusal("line", kind="construction", amount="1万", funding="fiscal")
    assert "运维预算年度" in _refusal("line", kind="operations", amount="1万", funding="fiscal")
    assert "不得早于" in _refusal(
        "usage_report", period_start="2026-12-01", period_end="2026-11-01"
    )
    assert "结余60万元（600,000元）" in _refusal(
        "surplus_return", amount="61万", returned_on="2026-12-01", voucher_no="T-1"
    )
    assert "预算下达文号" in _refusal(
        "arrangement", year="2026", amount="75万", notified_on="2026-12-01", funding="fiscal"
    )


def test_an_arrangement_becomes_the_budget_body_in_integer_yuan() -> None:
    body = _check(
        "arrangement", notice_no="郁财预〔2026〕8号", year="2026", amount="75万元",
        notified_on="2026-12-01", funding="new_fiscal",
    )  # fmt: skip
    assert body["amount"] == 750_000 and body["funding"] == "new_fiscal"


class _User:
    def __init__(self, *roles: str) -> None:
        self.roles = frozenset(roles)
        self.subject = SimpleNamespace(name="测试用户")

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def _page(budget: dict[str, Any], *roles: str, **more: Any) -> str:
    return templates.env.get_template("projects/_budget.html").render(
        budget=budget, user=_User(*roles), project={"id": "p-1"}, docs=[], form_key="k",
        today=dt.date(2026, 12, 4), **more,
    )  # fmt: skip


def test_the_funds_section_shows_lines_and_the_warning_until_the_line_is_budgeted() -> None:
    page = _page(BUDGET, "unit_officer")
    assert "尚未编报：第三方测试费用（第二十二条）" in page
    assert "68万元（680,000元）" in page and "48万元（480,000元）" in page
    assert "construction" not in page.replace('value="construction"', "")  # codes stay in values
    assert 'action="/projects/p-1/funds/disbursement"' in page
    assert 'action="/projects/p-1/funds/arrangement"' not in page  # finance's form only
    cleared = _page({**BUDGET, "missing_lines": []}, "unit_officer")
    assert "尚未编报" not in cleared and "funds-outstanding" not in cleared
    finance = _page(BUDGET, "finance_officer")
    assert 'action="/projects/p-1/funds/arrangement"' in finance
    assert 'action="/projects/p-1/funds/line"' not in finance


def test_a_refusal_is_shown_beside_its_own_form_with_what_was_typed() -> None:
    error = {
        "form": "disbursement",
        "message": "支付金额超过预算科目余额",
        "values": {"amount": "100万"},
    }
    page = _page(BUDGET, "unit_officer", funds_error=error)
    alert = page.index('id="funds-error-disbursement"')
    assert page.rindex('id="form-disbursement-h"', 0, alert) < alert
    assert 'value="100万"' in page and page.count('role="alert"') == 1
