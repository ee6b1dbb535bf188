"""The funds section's forms (预算安排, 科目, 调整, 支付, 使用情况报告, 结余退回) as budget API bodies.

Each form is checked here first, against the project's budget as the page
showed it, so a person reads in Chinese (amounts in 万元 with 元) what the
budget service would refuse; the service still decides, and its problem is
shown beside the form when it refuses anyway (e.g. someone paid in between).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from libs.vocab import BUDGET_LINES, LINE_FUNDING, AmountError, format_amount, parse_amount
from services.portal.pages.forms import FormErrors

__all__ = ["FORMS", "FUNDS_NOTICES", "FundsForm"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# services/budget VoucherNo: printable ASCII without spaces, 1–100 characters.
_VOUCHER = re.compile(r"^[\x21-\x7e]{1,100}$")

Budget = Mapping[str, Any]


class _Reader:
    """Reads one form's fields, collecting a Chinese message per field that is unfit."""

    def __init__(self, form: FormData):
        self.form = form
        self.errors: dict[str, str] = {}

    def raw(self, field: str) -> str:
        return str(self.form.get(field) or "").strip()

    def text(self, field: str, label: str, *, required: bool = True, limit: int = 1000) -> str:
        value = self.raw(field)
        if required and not value:
            self.errors[field] = f"请填写{label}"
        elif len(value) > limit:
            self.errors[field] = f"{label}不能超过{limit}个字"
        return value

    def date(self, field: str, label: str) -> str:
        value = self.raw(field)
        if not _DATE.fullmatch(value):
            self.errors[field] = f"请填写{label}（年-月-日）"
        return value

    def year(self, field: str, label: str) -> int:
        value = self.raw(field)
        if not (value.isdigit() and 2000 <= int(value) <= 2100):
            self.errors[field] = f"{label}须为2000至2100之间的年份"
            return 0
        return int(value)

    def amount(self, field: str, label: str) -> int:
        """An amount as people type it ("80万", "80万元", "800,000", "800000"), above zero."""
        try:
            value = parse_amount(self.raw(field), field=label)
        except AmountError as exc:
            self.errors[field] = exc.message
            return 0
        if value <= 0:
            self.errors[field] = f"{label}须大于零"
        return value

    def choice(self, field: str, label: str, choices: Mapping[str, str]) -> str:
        value = self.raw(field)
        if value not in choices:
            self.errors[field] = f"请选择{label}"
        return value

    def voucher(self, field: str = "voucher_no") -> str:
        value = self.raw(field)
        if not _VOUCHER.fullmatch(value):
            self.errors[field] = "请填写凭证号（1至100个字母、数字或符号，不含空格和汉字）"
        return value

    def line(self, field: str, label: str, budget: Budget) -> dict[str, Any] | None:
        """One of the project's lines, by the id the page's <select> sent."""
        value = self.raw(field)
        found = next((x for x in budget.get("lines") or [] if x["id"] == value), None)
        if found is None:
            self.errors[field] = f"请选择{label}"
        return found

    def done(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.errors:
            raise FormErrors(self.errors)
        return body


def line_name(line: Mapping[str, Any]) -> str:
    """建设费用, 运维费用（2027年度）: how a person names a line."""
    name = BUDGET_LINES.get(str(line.get("kind")), "其他费用")
    return f"{name}（{line['year']}年度）" if line.get("year") else name


def _arrangement(form: FormData, budget: Budget) -> dict[str, Any]:
    f = _Reader(form)
    return f.done(
        {
            "notice_no": f.text("notice_no", "预算下达文号", limit=100),
            "year": f.year("year", "预算年度"),
            "amount": f.amount("amount", "安排金额"),
            "notified_on": f.date("notified_on", "下达日期"),
            "funding": f.choice("funding", "资金来源", LINE_FUNDING),
        }
    )


def _line(form: FormData, budget: Budget) -> dict[str, Any]:
    f = _Reader(form)
    kind = f.choice("kind", "预算科目", BUDGET_LINES)
    body: dict[str, Any] = {
        "kind": kind,
        "amount": f.amount("amount", "科目金额"),
        "funding": f.choice("funding", "资金来源", LINE_FUNDING),
    }
    if kind == "operations":  # services/budget LineCreate: only operations is by year
        body["year"] = f.year("year", "运维预算年度")
        if service_year := f.raw("service_year"):
            if not (service_year.isdigit() and 1 <= int(service_year) <= 50):
                f.errors["service_year"] = "运维年度须为1至50之间的整数（验收后第几年）"
            else:
                body["service_year"] = int(service_year)
    existing = {(x["kind"], x.get("year")) for x in budget.get("lines") or []}
    if kind and (kind, body.get("year")) in existing:
        f.errors["kind"] = f"{line_name(body)}已编报；金额变化请通过资金调整"
    if opinion := f.raw("finance_opinion_document_id"):
        body["finance_opinion_document_id"] = opinion
    if note := f.text("note", "说明", required=False, limit=500):
        body["note"] = note
    return f.done(body)


def _adjustment(form: FormData, budget: Budget) -> dict[str, Any]:
    f = _Reader(form)
    source = f.line("from_line_id", "调出科目", budget)
    target = f.line("to_line_id", "调入科目", budget)
    amount = f.amount("amount", "调整金额")
    if source and target and source["id"] == target["id"]:
        f.errors["to_line_id"] = "调入科目须与调出科目不同"
    if source and amount > source["amount"]:
        f.errors["amount"] = (
            f"调整金额{format_amount(amount)}超过{line_name(source)}的金额"
            f"{format_amount(source['amount'])}"
        )
    return f.done(
        {
            "from_line_id": f.raw("from_line_id"),
            "to_line_id": f.raw("to_line_id"),
            "amount": amount,
            "reason": f.text("reason", "调整理由"),
        }
    )


def _disbursement(form: FormData, budget: Budget) -> dict[str, Any]:
    f = _Reader(form)
    line = f.line("line_id", "预算科目", budget)
    amount = f.amount("amount", "支付金额")
    if line and amount > line["balance"]:
        f.errors["amount"] = (
            f"支付金额{format_amount(amount)}超过{line_name(line)}的剩余"
            f"{format_amount(line['balance'])}，未登记"
        )
    body: dict[str, Any] = {
        "line_id": f.raw("line_id"),
        "amount": amount,
        "paid_on": f.date("paid_on", "支付日期"),
        "voucher_no": f.voucher(),
    }
    if contract := f.raw("contract_id"):
        body["contract_id"] = contract
    return f.done(body)


def _usage_report(form: FormData, budget: Budget) -> dict[str, Any]:
    f = _Reader(form)
    start = f.date("period_start", "报告期起")
    end = f.date("period_end", "报告期止")
    if "period_start" not in f.errors and "period_end" not in f.errors and end < start:
        f.errors["period_end"] = "报告期止不得早于报告期起"
    body: dict[str, Any] = {"period_start": start, "period_end": end}
    if narrative := f.text("narrative", "说明", required=False, limit=4000):
        body["narrative"] = narrative
    return f.done(body)


def _surplus_return(form: FormData, budget: Budget) -> dict[str, Any]:
    f = _Reader(form)
    amount = f.amount("amount", "退回金额")
    left = int(budget.get("balance") or 0)
    if amount > left:
        f.errors["amount"] = f"退回金额{format_amount(amount)}超过结余{format_amount(left)}"
    return f.done(
        {
            "amount": amount,
            "returned_on": f.date("returned_on", "退回日期"),
            "channel": "original",  # 莱州 第十九条第一款: 按原渠道退回, the only channel
            "voucher_no": f.voucher(),
        }
    )


@dataclass(frozen=True, slots=True)
class FundsForm:
    """One form of the funds section: who sends it, where it goes, what it says after."""

    roles: tuple[str, ...]
    endpoint: tuple[str, str, str]  # (service, method, path); the path names {project_id}
    build: Callable[[FormData, Budget], dict[str, Any]]
    notice: str


_UNIT_OR_BUREAU = ("unit_officer", "bureau_officer")  # budget.write (ADR 0008)

FORMS: Mapping[str, FundsForm] = {
    "arrangement": FundsForm(
        ("finance_officer",),
        ("budget", "POST", "/v1/projects/{project_id}/arrangements"),
        _arrangement,
        "预算安排已登记。",
    ),
    "line": FundsForm(
        _UNIT_OR_BUREAU,
        ("budget", "POST", "/v1/projects/{project_id}/lines"),
        _line,
        "预算科目已编报。",
    ),
    "adjustment": FundsForm(
        _UNIT_OR_BUREAU,
        ("budget", "POST", "/v1/projects/{project_id}/adjustments"),
        _adjustment,
        "资金调整已登记。",
    ),
    "disbursement": FundsForm(
        _UNIT_OR_BUREAU,
        ("budget", "POST", "/v1/projects/{project_id}/disbursements"),
        _disbursement,
        "资金支付已登记。",
    ),
    "usage_report": FundsForm(
        _UNIT_OR_BUREAU,
        ("budget", "POST", "/v1/projects/{project_id}/usage-reports"),
        _usage_report,
        "资金使用情况已报告。",
    ),
    "surplus_return": FundsForm(
        _UNIT_OR_BUREAU,
        ("budget", "POST", "/v1/projects/{project_id}/surplus-returns"),
        _surplus_return,
        "结余资金已按原渠道退回。",
    ),
}

#: The project page's notices after each form (``?notice=funds_<form>``).
FUNDS_NOTICES: Mapping[str, str] = {f"funds_{name}": form.notice for name, form in FORMS.items()}
