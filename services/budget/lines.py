"""预算科目 and 资金调整: a project's budget lines, checked against its policy (:mod:`rules`).

``POST /v1/projects/{id}/lines`` records a line (``govproj.budget.line.recorded.v1``);
``POST /v1/projects/{id}/adjustments`` moves money between two lines without
changing the total (``govproj.budget.line.adjusted.v1``), counted against the
pack's adjustment limit. A refused request changes nothing and cites the article.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import CurrentSubject
from libs.common.errors import Problem
from libs.common.events import emit
from libs.common.service import DbSession, actor_of
from services.budget import rules
from services.budget.deps import PROBLEMS, Idem, Writer, refuse, writable
from services.budget.models import Adjustment, BudgetLine, BudgetProject
from services.budget.procurement import STATUS_LABEL
from services.budget.projects import require_project
from services.budget.schemas import AdjustmentCreate, AdjustmentRead, LineCreate, LineRead

router = APIRouter(prefix="/v1", tags=["budget lines"])

# Lines are drafted while the project is reviewed (finance reviews them) and kept after.
EDITABLE = frozenset({"under_review", "approved", "filed", "procuring", "implementing"})


def total_of(project: BudgetProject) -> int:
    """The total the lines answer to: the approved amount once there is one, else the request."""
    return project.approved_amount if project.approved_amount is not None else project.amount


def line_out(line: BudgetLine) -> dict[str, Any]:
    return {
        "id": str(line.id),
        "project_id": str(line.project_id),
        "kind": line.kind,
        "year": line.year,
        "service_year": line.service_year,
        "amount": line.amount,
        "funding": line.funding,
        "finance_opinion_document_id": (
            str(line.finance_opinion_document_id) if line.finance_opinion_document_id else None
        ),
        "note": line.note,
        "version": line.version,
    }


async def lines_of(session: AsyncSession, project_id: uuid.UUID) -> list[BudgetLine]:
    rows = await session.scalars(
        sa.select(BudgetLine)
        .where(BudgetLine.project_id == project_id)
        .order_by(BudgetLine.kind, BudgetLine.year.nulls_first(), BudgetLine.created_at)
        .execution_options(populate_existing=True)
    )
    return list(rows)


def investment_total(lines: list[BudgetLine]) -> int:
    return sum(x.amount for x in lines if x.kind in rules.INVESTMENT)


def _require_editable(project: BudgetProject) -> None:
    if project.status not in EDITABLE:
        raise Problem.conflict(
            "project_not_budgetable",
            "项目当前状态不能编报预算",
            f"项目当前状态为 {project.status}（{STATUS_LABEL.get(project.status, '')}）",
        )


def _approval_article(project: BudgetProject) -> str | None:
    return (project.approval or {}).get("article")


def check_line(
    project: BudgetProject, lines: list[BudgetLine], body: LineCreate
) -> rules.Violation | None:
    """The pack's rules for one more line (the others already passed them)."""
    decision = project.decision or {}
    if (
        v := rules.check_new_fiscal(
            decision, funding=body.funding, opinion_document=body.finance_opinion_document_id
        )
    ) is not None:
        return v
    if body.kind in rules.INVESTMENT:
        return rules.check_investment_total(
            decision,
            total=total_of(project),
            lines_total=investment_total(lines) + body.amount,
            approval_article=_approval_article(project),
        )
    return rules.check_operations(
        decision,
        service_year=body.service_year,
        amount=body.amount,
        construction_total=total_of(project),
    )


@router.post(
    "/projects/{project_id}/lines",
    response_model=LineRead,
    status_code=201,
    summary="编报预算科目（建设、监理、第三方测试、安全评估、分年度运维）",
    responses=PROBLEMS,
)
async def create_line(
    project_id: uuid.UUID,
    body: LineCreate,
    response: Response,
    session: DbSession,
    subject: Writer,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await writable(session, project_id, subject)
    _require_editable(project)
    lines = await lines_of(session, project.id)
    if any(x.kind == body.kind and x.year == body.year for x in lines):
        where = f"{body.year}年度" if body.year is not None else ""
        raise Problem.conflict(
            "line_exists",
            "该预算科目已存在",
            f"{where}{rules.LINE_LABELS[body.kind]}已编报；金额变化请通过资金调整",
        )
    if (violation := check_line(project, lines, body)) is not None:
        raise refuse(violation, project)
    now = datetime.now(UTC)
    line = BudgetLine(
        id=uuid.uuid4(),
        tenant_id=subject.tenant,
        project_id=project.id,
        kind=body.kind,
        year=body.year,
        service_year=body.service_year,
        amount=body.amount,
        funding=body.funding,
        finance_opinion_document_id=body.finance_opinion_document_id,
        note=body.note,
        version=1,
        actor=actor_of(subject),
        created_at=now,
        updated_at=now,
    )
    session.add(line)
    await session.flush()
    out = line_out(line)
    await emit(
        session,
        tenant=subject.tenant,
        service="budget",
        aggregate="line",
        event="recorded",
        data={"tenant": subject.tenant, "submission": project.submission, **out},
        actor=actor_of(subject),
    )
    location = f"/v1/projects/{project.id}/lines/{line.id}"
    response.headers["Location"] = location
    return await idem.save(201, out, location=location)


@router.get(
    "/projects/{project_id}/lines",
    response_model=list[LineRead],
    summary="项目的预算科目",
    responses=PROBLEMS,
)
async def list_lines(project_id: uuid.UUID, subject: CurrentSubject, session: DbSession) -> Any:
    project = await require_project(session, project_id)
    return [line_out(x) for x in await lines_of(session, project.id)]


async def adjusted_so_far(session: AsyncSession, project_id: uuid.UUID) -> int:
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Adjustment.amount), 0)).where(
            Adjustment.project_id == project_id
        )
    )
    return int(total or 0)


@router.post(
    "/projects/{project_id}/adjustments",
    response_model=AdjustmentRead,
    status_code=201,
    summary="资金调整（科目之间调剂，总额不变；计入自行调整上限）",
    responses=PROBLEMS,
)
async def create_adjustment(
    project_id: uuid.UUID,
    body: AdjustmentCreate,
    response: Response,
    session: DbSession,
    subject: Writer,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await writable(session, project_id, subject)
    _require_editable(project)
    lines = {x.id: x for x in await lines_of(session, project.id)}
    source, target = lines.get(body.from_line_id), lines.get(body.to_line_id)
    if source is None or target is None or source.id == target.id:
        raise Problem.invalid(
            "from_line_id" if source is None else "to_line_id",
            "须为本项目两条不同的预算科目",
        )
    if body.amount > source.amount:
        raise Problem.invalid("amount", f"调出金额{body.amount}元超过该科目金额{source.amount}元")
    before = await adjusted_so_far(session, project.id)
    decision = project.decision or {}
    violation = rules.check_adjustment(
        decision,
        total=total_of(project),
        adjusted_before=before,
        amount=body.amount,
        status=project.status,
    )
    if (
        violation is None
        and target.kind in rules.INVESTMENT
        and source.kind not in rules.INVESTMENT
    ):
        # Money moved into the investment lines from operations must still fit the total.
        violation = rules.check_investment_total(
            decision,
            total=total_of(project),
            lines_total=investment_total(list(lines.values())) + body.amount,
            approval_article=_approval_article(project),
        )
    if violation is None and target.kind == "operations":
        violation = rules.check_operations(
            decision,
            service_year=target.service_year,
            amount=target.amount + body.amount,
            construction_total=total_of(project),
        )
    if violation is not None:
        raise refuse(violation, project)
    now = datetime.now(UTC)
    source.amount -= body.amount
    target.amount += body.amount
    for line in (source, target):
        line.version += 1
        line.updated_at = now
    _, limit = rules.adjustment_cap(decision, total_of(project))
    adjustment = Adjustment(
        id=uuid.uuid4(),
        tenant_id=subject.tenant,
        project_id=project.id,
        from_line_id=source.id,
        to_line_id=target.id,
        amount=body.amount,
        reason=body.reason,
        article=limit["article"] if limit else None,
        actor=actor_of(subject),
        created_at=now,
    )
    session.add(adjustment)
    await session.flush()
    cap, _ = rules.adjustment_cap(decision, total_of(project))
    out = {
        "id": str(adjustment.id),
        "project_id": str(project.id),
        "from_line_id": str(source.id),
        "to_line_id": str(target.id),
        "amount": body.amount,
        "reason": body.reason,
        "article": adjustment.article,
        "adjusted_total": before + body.amount,
        "adjustment_cap": cap,
    }
    await emit(
        session,
        tenant=subject.tenant,
        service="budget",
        aggregate="line",
        event="adjusted",
        data={"tenant": subject.tenant, "submission": project.submission, **out},
        actor=actor_of(subject),
    )
    location = f"/v1/projects/{project.id}/adjustments/{adjustment.id}"
    response.headers["Location"] = location
    return await idem.save(201, out, location=location)
