"""资金使用: disbursements, periodic usage reports, surplus returned by the original channel.

- Disbursements (资金支付) come from the unit over HTTP or from the finance
  system (``finance.<tenant>.payment.disbursed``). The voucher number (凭证号) is
  unique per tenant: a retried request, a redelivered or replayed event finds
  the first one and pays nothing twice. A payment never passes its line's balance.
- Usage reports (坡头 第十五条: 区各有关单位应定期将本单位……资金使用情况报区财政局):
  figures computed from what was recorded, one report per project and period.
- Surplus returned (莱州 第十九条第一款: 结余资金按原渠道退回): at most what the
  approved total leaves after payments.
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Response
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import CurrentSubject
from libs.common.errors import Problem
from libs.common.events import Event, emit
from libs.common.service import DbSession, actor_of
from libs.common.settings import service_settings
from libs.policy import PolicyRegistry, load_registry
from services.budget import rules
from services.budget.deps import PROBLEMS, Idem, Writer, writable
from services.budget.finance.review import Refused, guarded
from services.budget.lines import lines_of, total_of
from services.budget.models import (
    Arrangement,
    BudgetLine,
    BudgetProject,
    Disbursement,
    SurplusReturn,
    UsageReport,
)
from services.budget.projects import ACTIVE, require_project
from services.budget.schemas import DisbursementCreate, SurplusReturnCreate, UsageReportCreate

router = APIRouter(prefix="/v1", tags=["usage"])


@functools.cache
def _policies() -> PolicyRegistry:
    return load_registry(service_settings("budget").policies_dir)


def pack_article(decision: dict[str, Any], code: str) -> str | None:
    """The article of requirement ``code``: from the decision, else from the pack that decided.

    A requirement with a condition (e.g. 莱州 ``surplus_return`` ``when: surplus``)
    is absent from a decision taken before the fact arose; the pack still holds it.
    """
    if (req := rules.requirement(decision, code)) is not None:
        return str(req["article"])
    pack_id = (decision.get("policy") or {}).get("id")
    try:
        pack = _policies().get(str(pack_id))
    except KeyError:
        return None
    for item in pack.spec.requirements:
        if item.code == code:
            return str(item.article)
    return None


async def disbursed(session: AsyncSession, project_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Paid so far, by line."""
    rows = await session.execute(
        sa.select(Disbursement.line_id, sa.func.sum(Disbursement.amount))
        .where(Disbursement.project_id == project_id)
        .group_by(Disbursement.line_id)
    )
    return {line_id: int(total) for line_id, total in rows}


async def surplus_returned(session: AsyncSession, project_id: uuid.UUID) -> int:
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(SurplusReturn.amount), 0)).where(
            SurplusReturn.project_id == project_id
        )
    )
    return int(total or 0)


def _disbursement_out(d: Disbursement, line: BudgetLine | None, total: int) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "project_id": str(d.project_id),
        "line_id": str(d.line_id),
        "line_kind": line.kind if line else None,
        "amount": d.amount,
        "paid_on": d.paid_on.isoformat(),
        "voucher_no": d.voucher_no,
        "contract_id": str(d.contract_id) if d.contract_id else None,
        "source": d.source,
        "disbursed_total": total,
    }


class DisbursementRefused(Exception):
    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.problem = Problem(status, code, title, detail)


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
    actor: dict[str, Any],
) -> tuple[dict[str, Any], bool]:
    """Record one payment; (its body, True) or, for a voucher already recorded, (the first, False)."""
    existing = (
        await session.scalars(sa.select(Disbursement).where(Disbursement.voucher_no == voucher_no))
    ).first()
    if existing is not None:
        if (existing.project_id, existing.line_id, existing.amount) != (
            project.id,
            line.id,
            amount,
        ):
            raise DisbursementRefused(
                409,
                "voucher_used",
                "凭证号已用于另一笔支付",
                f"凭证号 {voucher_no} 已记录为 {existing.amount}元",
            )
        paid = await disbursed(session, project.id)
        return _disbursement_out(existing, line, sum(paid.values())), False
    if project.status not in ACTIVE:
        raise DisbursementRefused(
            409, "project_not_active", "项目未立项或备案，不能支付", f"项目状态为 {project.status}"
        )
    paid = await disbursed(session, project.id)
    balance = line.amount - paid.get(line.id, 0)
    if amount > balance:
        raise DisbursementRefused(
            409,
            "over_line_balance",
            "支付金额超过预算科目余额",
            f"{rules.LINE_LABELS[line.kind]}余额{balance}元，本次支付{amount}元",
        )
    row_id = await session.scalar(
        insert(Disbursement)
        .values(
            id=uuid.uuid4(),
            tenant_id=project.tenant_id,
            project_id=project.id,
            line_id=line.id,
            amount=amount,
            paid_on=paid_on,
            voucher_no=voucher_no,
            contract_id=contract_id,
            source=source,
            actor=actor,
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "voucher_no"])
        .returning(Disbursement.id)
    )
    if row_id is None:  # a concurrent request with the same voucher won
        raise DisbursementRefused(409, "voucher_used", "凭证号已用于另一笔支付", voucher_no)
    row = await session.get(Disbursement, row_id)
    assert row is not None
    total = sum(paid.values()) + amount
    out = _disbursement_out(row, line, total)
    await emit(
        session,
        tenant=project.tenant_id,
        service="budget",
        aggregate="disbursement",
        event="recorded",
        data={
            "tenant": project.tenant_id,
            "submission": project.submission,
            "disbursement_id": out["id"],
            **{k: v for k, v in out.items() if k != "id"},
        },
        actor=actor,
    )
    return out, True


@router.post(
    "/projects/{project_id}/disbursements",
    status_code=201,
    summary="登记资金支付（凭证号唯一：重复提交不重复记账）",
    responses=PROBLEMS,
)
async def create_disbursement(
    project_id: uuid.UUID,
    body: DisbursementCreate,
    response: Response,
    session: DbSession,
    subject: Writer,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await writable(session, project_id, subject)
    line = await session.get(BudgetLine, body.line_id)
    if line is None or line.project_id != project.id:
        raise Problem.invalid("line_id", "不是本项目的预算科目")
    try:
        out, created = await record_disbursement(
            session,
            project=project,
            line=line,
            amount=body.amount,
            paid_on=body.paid_on,
            voucher_no=body.voucher_no,
            contract_id=body.contract_id,
            source="api",
            actor=actor_of(subject),
        )
    except DisbursementRefused as exc:
        raise exc.problem from None
    response.status_code = 201 if created else 200
    return await idem.save(response.status_code, out)


@router.get("/projects/{project_id}/disbursements", summary="项目的资金支付", responses=PROBLEMS)
async def list_disbursements(
    project_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> list[dict[str, Any]]:
    project = await require_project(session, project_id)
    lines = {x.id: x for x in await lines_of(session, project.id)}
    rows = await session.scalars(
        sa.select(Disbursement)
        .where(Disbursement.project_id == project.id)
        .order_by(Disbursement.paid_on, Disbursement.created_at)
    )
    out, running = [], 0
    for d in rows:
        running += d.amount
        out.append(_disbursement_out(d, lines.get(d.line_id), running))
    return out


async def _payment_disbursed(session: AsyncSession, event: Event) -> None:
    """The finance system paid (国库集中支付): record it against the project's line."""
    data = event.data
    project = await session.get(BudgetProject, uuid.UUID(data["project_id"]), with_for_update=True)
    if project is None:
        raise Refused(f"unknown project {data['project_id']}")
    line = (
        await session.scalars(
            sa.select(BudgetLine).where(
                BudgetLine.project_id == project.id,
                BudgetLine.kind == data["line_kind"],
                BudgetLine.year == data.get("year")
                if data.get("year") is not None
                else BudgetLine.year.is_(None),
            )
        )
    ).first()
    if line is None:
        raise Refused(f"project {project.id} has no {data['line_kind']} line")
    try:
        await record_disbursement(
            session,
            project=project,
            line=line,
            amount=int(data["amount"]),
            paid_on=date.fromisoformat(data["paid_on"]),
            voucher_no=data["voucher_no"],
            contract_id=uuid.UUID(data["contract_id"]) if data.get("contract_id") else None,
            source="finance",
            actor=dict(event.actor),
        )
    except DisbursementRefused as exc:
        raise Refused(f"{exc.problem.code}: {exc.problem.detail}") from None


on_payment_disbursed = guarded(_payment_disbursed)


async def figures(
    session: AsyncSession, project: BudgetProject, start: date, end: date
) -> dict[str, Any]:
    """What a usage report states, from the records up to ``end``."""
    lines = await lines_of(session, project.id)
    rows = (
        await session.scalars(
            sa.select(Disbursement).where(
                Disbursement.project_id == project.id, Disbursement.paid_on <= end
            )
        )
    ).all()
    arranged = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Arrangement.amount), 0)).where(
            Arrangement.project_id == project.id
        )
    )
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
        "arranged_total": int(arranged or 0),
        "disbursed_in_period": sum(d.amount for d in rows if d.paid_on >= start),
        "disbursed_total": sum(d.amount for d in rows),
        "surplus_returned_total": await surplus_returned(session, project.id),
        "by_line": by_line,
    }


@router.post(
    "/projects/{project_id}/usage-reports",
    status_code=201,
    summary="资金使用情况定期报告（报财政）",
    responses=PROBLEMS,
)
async def create_usage_report(
    project_id: uuid.UUID,
    body: UsageReportCreate,
    response: Response,
    session: DbSession,
    subject: Writer,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await writable(session, project_id, subject)
    if body.period_end < body.period_start:
        raise Problem.invalid("period_end", "不得早于 period_start")
    duplicate = await session.scalar(
        sa.select(UsageReport.id).where(
            UsageReport.project_id == project.id,
            UsageReport.period_start == body.period_start,
            UsageReport.period_end == body.period_end,
        )
    )
    if duplicate is not None:
        raise Problem.conflict("report_exists", "该期资金使用情况已报告", str(duplicate))
    numbers = await figures(session, project, body.period_start, body.period_end)
    report = UsageReport(
        id=uuid.uuid4(),
        tenant_id=subject.tenant,
        project_id=project.id,
        period_start=body.period_start,
        period_end=body.period_end,
        figures=numbers,
        narrative=body.narrative,
        article=pack_article(project.decision or {}, "fund_usage_report"),
        actor=actor_of(subject),
        created_at=datetime.now(UTC),
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
    await emit(
        session,
        tenant=subject.tenant,
        service="budget",
        aggregate="usage",
        event="reported",
        data={"tenant": subject.tenant, "submission": project.submission, **out},
        actor=actor_of(subject),
    )
    return await idem.save(201, out)


@router.post(
    "/projects/{project_id}/surplus-returns",
    status_code=201,
    summary="结余资金按原渠道退回",
    responses=PROBLEMS,
)
async def create_surplus_return(
    project_id: uuid.UUID,
    body: SurplusReturnCreate,
    response: Response,
    session: DbSession,
    subject: Writer,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await writable(session, project_id, subject)
    if project.status not in ACTIVE:
        raise Problem.conflict(
            "project_not_active", "项目未立项或备案，无结余可退", f"项目状态为 {project.status}"
        )
    paid = sum((await disbursed(session, project.id)).values())
    returned = await surplus_returned(session, project.id)
    left = total_of(project) - paid - returned
    article = pack_article(project.decision or {}, "surplus_return")
    if body.amount > left:
        raise Problem(
            409,
            "surplus_over_balance",
            "退回金额超过结余",
            f"批复{total_of(project)}元，已支付{paid}元，已退回{returned}元，结余{left}元",
            extra={"article": article},
        )
    if await session.scalar(
        sa.select(SurplusReturn.id).where(SurplusReturn.voucher_no == body.voucher_no)
    ):
        raise Problem.conflict("voucher_used", "凭证号已使用", body.voucher_no)
    row = SurplusReturn(
        id=uuid.uuid4(),
        tenant_id=subject.tenant,
        project_id=project.id,
        amount=body.amount,
        returned_on=body.returned_on,
        channel=body.channel,
        voucher_no=body.voucher_no,
        article=article,
        actor=actor_of(subject),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    await session.flush()
    out = {
        "surplus_id": str(row.id),
        "project_id": str(project.id),
        "amount": body.amount,
        "returned_on": body.returned_on.isoformat(),
        "channel": body.channel,
        "voucher_no": body.voucher_no,
        "article": article,
        "balance": left - body.amount,
    }
    await emit(
        session,
        tenant=subject.tenant,
        service="budget",
        aggregate="surplus",
        event="returned",
        data={"tenant": subject.tenant, "submission": project.submission, **out},
        actor=actor_of(subject),
    )
    return await idem.save(201, out)
