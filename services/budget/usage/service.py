"""资金使用: disbursements, periodic usage reports, surplus returned by the original channel.

- Disbursements (资金支付) come from the unit over HTTP or from the finance
  system (:mod:`.handlers`). The voucher number (凭证号) is unique per tenant: a
  retried request, a redelivered or replayed event finds the first one and
  pays nothing twice. A payment never passes its line's balance.
- Usage reports (坡头 第十五条: 区各有关单位应定期将本单位……资金使用情况报区财政局):
  figures computed from what was recorded, one report per project and period.
- Surplus returned (莱州 第十九条第一款: 结余资金按原渠道退回): at most what the
  approved total leaves after payments.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid
from libs.common.reads import row_json
from libs.policy import PolicyRegistry
from libs.vocab import BUDGET_LINES, format_amount
from services.budget.lines import repository as lines_repository
from services.budget.lines import rules
from services.budget.lines.service import total_of
from services.budget.models import (
    BudgetLine,
    BudgetProject,
    Disbursement,
    SurplusReturn,
    UsageReport,
)
from services.budget.outbox import announce, of_project
from services.budget.replica import ACTIVE, status_text
from services.budget.usage import repository
from services.budget.usage.schemas import (
    DisbursementRead,
    SurplusReturnCreate,
    UsageReportCreate,
)

__all__ = [
    "disbursement_out",
    "disbursements_out",
    "figures",
    "pack_article",
    "record_disbursement",
    "report_usage",
    "return_surplus",
]


def pack_article(decision: dict[str, Any], code: str, policies: PolicyRegistry) -> str | None:
    """The article of requirement ``code``: from the decision, else from the pack that decided.

    A requirement with a condition (e.g. 莱州 ``surplus_return`` ``when: surplus``)
    is absent from a decision taken before the fact arose; the pack still holds it.
    """
    if (req := rules.requirement(decision, code)) is not None:
        return str(req["article"])
    pack_id = (decision.get("policy") or {}).get("id")
    try:
        pack = policies.get(str(pack_id))
    except KeyError:
        return None
    for item in pack.spec.requirements:
        if item.code == code:
            return str(item.article)
    return None


def disbursement_out(d: Disbursement, line: BudgetLine | None, total: int) -> dict[str, Any]:
    """A payment with its line's kind and the project's payments up to it (``total``)."""
    return row_json(
        DisbursementRead, d, line_kind=line.kind if line else None, disbursed_total=total
    )


def disbursements_out(rows: list[Disbursement], lines: list[BudgetLine]) -> list[dict[str, Any]]:
    """The payments in order, each with its running total."""
    by_id = {x.id: x for x in lines}
    out, running = [], 0
    for d in rows:
        running += d.amount
        out.append(disbursement_out(d, by_id.get(d.line_id), running))
    return out


def _voucher_used(voucher_no: str, detail: str) -> Conflict:
    return Conflict("voucher_used", "凭证号已用于另一笔支付", detail or voucher_no)


async def record_disbursement(
    session: AsyncSession,
    *,
    project: BudgetProject,
    line: BudgetLine,
    amount: int,
    paid_on: date,
    voucher_no: str,
    contract_id: uuid.UUID | None,
    source: str,
    actor: Mapping[str, Any],
) -> tuple[dict[str, Any], bool]:
    """Record one payment; (its body, True) or, for a voucher already recorded, (the first, False)."""
    existing = await repository.disbursement_by_voucher(session, voucher_no)
    if existing is not None:
        if (existing.project_id, existing.line_id, existing.amount) != (
            project.id,
            line.id,
            amount,
        ):
            raise _voucher_used(
                voucher_no, f"凭证号 {voucher_no} 已记录为 {format_amount(existing.amount)}"
            )
        paid = await repository.disbursed(session, project.id)
        return disbursement_out(existing, line, sum(paid.values())), False
    if project.status not in ACTIVE:
        raise Conflict(
            "project_not_active", "项目未立项或备案，不能支付", f"项目状态为 {status_text(project)}"
        )
    paid = await repository.disbursed(session, project.id)
    balance = line.amount - paid.get(line.id, 0)
    if amount > balance:
        raise Conflict(
            "over_line_balance",
            "支付金额超过预算科目余额",
            f"{BUDGET_LINES[line.kind]}余额{format_amount(balance)}，本次支付{format_amount(amount)}",
        )
    row_id = await session.scalar(
        insert(Disbursement)
        .values(
            **of_project(project, actor),
            line_id=line.id,
            amount=amount,
            paid_on=paid_on,
            voucher_no=voucher_no,
            contract_id=contract_id,
            source=source,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "voucher_no"])
        .returning(Disbursement.id)
    )
    if row_id is None:  # a concurrent request with the same voucher won
        raise _voucher_used(voucher_no, voucher_no)
    row = await session.get(Disbursement, row_id)
    assert row is not None  # inserted just above, in this transaction
    out = disbursement_out(row, line, sum(paid.values()) + amount)
    data = {"disbursement_id": out["id"], **{k: v for k, v in out.items() if k != "id"}}
    await announce(session, project, "disbursement", "recorded", data, actor)
    return out, True


async def figures(
    session: AsyncSession, project: BudgetProject, start: date, end: date
) -> dict[str, Any]:
    """What a usage report states, from the records up to ``end``."""
    lines = await lines_repository.lines_of(session, project.id)
    rows = await repository.disbursements_of(session, project.id, until=end)
    by_line = []
    for line in lines:
        paid = sum(d.amount for d in rows if d.line_id == line.id)
        by_line.append(
            {
                "line_id": str(line.id),
                "kind": line.kind,
                "year": line.year,
                "amount": line.amount,
                "disbursed_total": paid,
                "balance": line.amount - paid,
            }
        )
    return {
        "budget_total": sum(x.amount for x in lines),
        "approved_total": total_of(project),
        "arranged_total": await repository.arranged_total(session, project.id),
        "disbursed_in_period": sum(d.amount for d in rows if d.paid_on >= start),
        "disbursed_total": sum(d.amount for d in rows),
        "surplus_returned_total": await repository.surplus_returned(session, project.id),
        "by_line": by_line,
    }


async def report_usage(
    session: AsyncSession,
    *,
    project: BudgetProject,
    body: UsageReportCreate,
    policies: PolicyRegistry,
    actor: Mapping[str, Any],
) -> dict[str, Any]:
    """资金使用情况报告 for one period (坡头 第十五条), once per period."""
    if body.period_end < body.period_start:
        raise Invalid("period_end", "不得早于 period_start")
    duplicate = await repository.report_of_period(
        session, project.id, body.period_start, body.period_end
    )
    if duplicate is not None:
        raise Conflict("report_exists", "该期资金使用情况已报告", str(duplicate))
    numbers = await figures(session, project, body.period_start, body.period_end)
    report = UsageReport(
        **of_project(project, actor),
        period_start=body.period_start,
        period_end=body.period_end,
        figures=numbers,
        narrative=body.narrative,
        article=pack_article(project.decision or {}, "fund_usage_report", policies),
    )
    session.add(report)
    await session.flush()
    out = {
        "report_id": str(report.id),
        "project_id": str(project.id),
        "period_start": body.period_start.isoformat(),
        "period_end": body.period_end.isoformat(),
        "article": report.article,
        "narrative": body.narrative,
        "figures": numbers,
    }
    await announce(session, project, "usage", "reported", out, actor)
    return out


async def return_surplus(
    session: AsyncSession,
    *,
    project: BudgetProject,
    body: SurplusReturnCreate,
    policies: PolicyRegistry,
    actor: Mapping[str, Any],
) -> dict[str, Any]:
    """结余资金按原渠道退回 (莱州 第十九条第一款): at most approved − paid − returned."""
    if project.status not in ACTIVE:
        raise Conflict(
            "project_not_active",
            "项目未立项或备案，无结余可退",
            f"项目状态为 {status_text(project)}",
        )
    paid = sum((await repository.disbursed(session, project.id)).values())
    returned = await repository.surplus_returned(session, project.id)
    left = total_of(project) - paid - returned
    article = pack_article(project.decision or {}, "surplus_return", policies)
    if body.amount > left:
        raise Conflict(
            "surplus_over_balance",
            "退回金额超过结余",
            f"批复{format_amount(total_of(project))}，已支付{format_amount(paid)}，"
            f"已退回{format_amount(returned)}，结余{format_amount(left)}",
            article=article,
        )
    if await repository.surplus_voucher_used(session, body.voucher_no):
        raise Conflict("voucher_used", "凭证号已使用", body.voucher_no)
    row = SurplusReturn(
        **of_project(project, actor),
        **body.model_dump(),
        article=article,
    )
    session.add(row)
    await session.flush()
    out = {
        "surplus_id": str(row.id),
        "project_id": str(project.id),
        **body.model_dump(mode="json"),
        "article": article,
        "balance": left - body.amount,
    }
    await announce(session, project, "surplus", "returned", out, actor)
    return out
