"""预算科目 and 资金调整: a project's budget lines, checked against its policy (:mod:`.rules`).

A line is recorded (``govproj.budget.line.recorded.v1``) or money moves between
two lines without changing the total (``govproj.budget.line.adjusted.v1``),
counted against the pack's adjustment limit. A refused request changes nothing
and cites the article.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid
from libs.common.reads import row_json
from libs.vocab import BUDGET_LINES, format_amount
from services.budget.lines import repository, rules
from services.budget.lines.schemas import AdjustmentCreate, AdjustmentRead, LineCreate, LineRead
from services.budget.models import Adjustment, BudgetLine, BudgetProject
from services.budget.outbox import announce, of_project
from services.budget.replica import require_document, status_text

__all__ = [
    "EDITABLE",
    "FINANCE_OPINION_TYPES",
    "adjust",
    "adjustment_out",
    "create_line",
    "investment_total",
    "line_out",
    "missing_lines",
    "total_of",
]

# Lines are drafted while the project is reviewed (finance reviews them) and kept after.
EDITABLE = frozenset({"under_review", "approved", "filed", "procuring", "implementing"})
# The archive files a finance office's opinion as an opinion (services/archive/vocab.py
# DOCUMENT_TYPES has no finance-specific code): 评审/论证意见.
FINANCE_OPINION_TYPES = frozenset({"review_opinion"})


def total_of(project: BudgetProject) -> int:
    """The total the lines answer to: the approved amount once there is one, else the request."""
    return project.approved_amount if project.approved_amount is not None else project.amount


def investment_total(lines: list[BudgetLine]) -> int:
    """The lines that count in the total investment (郁南 第十六条第（三）项)."""
    return sum(x.amount for x in lines if x.kind in rules.INVESTMENT)


def line_out(line: BudgetLine) -> dict[str, Any]:
    """A line as the API answers it and ``line.recorded`` carries it."""
    return row_json(LineRead, line)


def adjustment_out(row: Adjustment, *, adjusted_total: int, cap: int | None) -> dict[str, Any]:
    """An adjustment with the project's adjustments so far and the pack's cap."""
    return row_json(AdjustmentRead, row, adjusted_total=adjusted_total, adjustment_cap=cap)


def missing_lines(decision: dict[str, Any], kinds: set[str]) -> list[dict[str, Any]]:
    """Mandatory 监理 / 第三方测试 / 安全评估 the decision requires but no line budgets.

    A kind may be required by several articles (郁南: 第三方测试 by 第十六条第（二）项 from
    100万元, and 第三方验收测评 by 第二十二条 always): each is listed.
    """
    out = []
    for code in rules.INVESTMENT[1:]:
        reqs = [
            r
            for r in decision.get("requirements") or []
            if r.get("code") == code and r.get("mandatory", True)
        ]
        if reqs and code not in kinds:
            out.append(
                {
                    "kind": code,
                    "article": reqs[0]["article"],
                    "articles": [r["article"] for r in reqs],
                    "explanation": reqs[0].get("explanation"),
                }
            )
    return out


def _require_editable(project: BudgetProject) -> None:
    if project.status not in EDITABLE:
        raise Conflict(
            "project_not_budgetable",
            "项目当前状态不能编报预算",
            f"项目当前状态为 {status_text(project)}",
        )


def _approval_article(project: BudgetProject) -> str | None:
    return (project.approval or {}).get("article")


def _check_investment(
    project: BudgetProject, lines: list[BudgetLine], added: int
) -> rules.Violation | None:
    return rules.check_investment_total(
        project.decision or {},
        total=total_of(project),
        lines_total=investment_total(lines) + added,
        approval_article=_approval_article(project),
    )


def check_line(
    project: BudgetProject, lines: list[BudgetLine], body: LineCreate
) -> rules.Violation | None:
    """The pack's rules for one more line (the others already passed them)."""
    decision = project.decision or {}
    violation = rules.check_new_fiscal(
        decision, funding=body.funding, opinion_document=body.finance_opinion_document_id
    )
    if violation is not None:
        return violation
    if body.kind in rules.INVESTMENT:
        return _check_investment(project, lines, body.amount)
    return rules.check_operations(
        decision,
        service_year=body.service_year,
        amount=body.amount,
        construction_total=total_of(project),
    )


async def create_line(
    session: AsyncSession, *, project: BudgetProject, body: LineCreate, actor: Mapping[str, Any]
) -> dict[str, Any]:
    """Record one line of ``project`` (locked by the caller); refuse what breaks the pack."""
    _require_editable(project)
    lines = await repository.lines_of(session, project.id)
    if any(x.kind == body.kind and x.year == body.year for x in lines):
        where = f"{body.year}年度" if body.year is not None else ""
        raise Conflict(
            "line_exists",
            "该预算科目已存在",
            f"{where}{BUDGET_LINES[body.kind]}已编报；金额变化请通过资金调整",
        )
    if (violation := check_line(project, lines, body)) is not None:
        raise violation.error(project.decision or {})
    if body.finance_opinion_document_id is not None:
        # 潮州 第十三条: the opinion must be a real one, of this project, in the archive.
        await require_document(
            session,
            body.finance_opinion_document_id,
            project=project,
            doc_types=FINANCE_OPINION_TYPES,
            field="finance_opinion_document_id",
            what="财政部门意见",
        )
    line = BudgetLine(
        **of_project(project, actor),
        **body.model_dump(),
        version=1,
    )
    line.updated_at = line.created_at
    session.add(line)
    await session.flush()
    out = line_out(line)
    await announce(session, project, "line", "recorded", out, actor)
    return out


def _check_adjustment(
    project: BudgetProject,
    lines: list[BudgetLine],
    source: BudgetLine,
    target: BudgetLine,
    *,
    amount: int,
    before: int,
) -> rules.Violation | None:
    decision = project.decision or {}
    violation = rules.check_adjustment(
        decision,
        total=total_of(project),
        adjusted_before=before,
        amount=amount,
        status=project.status,
    )
    if (
        violation is None
        and target.kind in rules.INVESTMENT
        and source.kind not in rules.INVESTMENT
    ):
        # Money moved into the investment lines from operations must still fit the total.
        violation = _check_investment(project, lines, amount)
    if violation is None and target.kind == "operations":
        violation = rules.check_operations(
            decision,
            service_year=target.service_year,
            amount=target.amount + amount,
            construction_total=total_of(project),
        )
    return violation


async def adjust(
    session: AsyncSession,
    *,
    project: BudgetProject,
    body: AdjustmentCreate,
    actor: Mapping[str, Any],
) -> dict[str, Any]:
    """Move money between two lines of ``project`` (locked by the caller); the total stays."""
    _require_editable(project)
    lines = await repository.lines_of(session, project.id)
    by_id = {x.id: x for x in lines}
    source, target = by_id.get(body.from_line_id), by_id.get(body.to_line_id)
    if source is None or target is None or source.id == target.id:
        raise Invalid(
            "from_line_id" if source is None else "to_line_id", "须为本项目两条不同的预算科目"
        )
    if body.amount > source.amount:
        raise Invalid(
            "amount",
            f"调出金额{format_amount(body.amount)}超过该科目金额{format_amount(source.amount)}",
        )
    before = await repository.adjusted_so_far(session, project.id)
    violation = _check_adjustment(project, lines, source, target, amount=body.amount, before=before)
    if violation is not None:
        raise violation.error(project.decision or {})
    now = datetime.now(UTC)
    source.amount -= body.amount
    target.amount += body.amount
    for line in (source, target):
        line.version += 1
        line.updated_at = now
    cap, limit = rules.adjustment_cap(project.decision or {}, total_of(project))
    adjustment = Adjustment(
        **of_project(project, actor),
        from_line_id=source.id,
        to_line_id=target.id,
        amount=body.amount,
        reason=body.reason,
        article=limit["article"] if limit else None,
    )
    session.add(adjustment)
    await session.flush()
    out = adjustment_out(adjustment, adjusted_total=before + body.amount, cap=cap)
    await announce(session, project, "line", "adjusted", out, actor)
    return out
