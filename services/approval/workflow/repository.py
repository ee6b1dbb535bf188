"""Queries of workflows, steps and opinions (RLS scopes every one to the caller's tenants)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import NotFound
from libs.common.pagination import SortValue, encode_sorted_cursor, keyset, sort_of
from libs.common.reads import fetch_all
from services.approval.models import Opinion, Step, Workflow

# Core INSERTs of whole rows (cached: no ON CONFLICT), run with a list of rows: one
# statement per table for a batch instead of the ORM's unit of work per workflow.
_INSERT_WORKFLOWS = sa.insert(cast(sa.Table, Workflow.__table__))
_INSERT_STEPS = sa.insert(cast(sa.Table, Step.__table__))


_WORKFLOW_KEYS = tuple(c.key for c in Workflow.__table__.columns)
_STEP_KEYS = tuple(c.key for c in Step.__table__.columns)


def _row(obj: Workflow | Step, keys: tuple[str, ...]) -> dict[str, Any]:
    # Read from the instance's state, past the attribute descriptors: a transient row
    # holds what it was built with, and an attribute never set reads None either way.
    values = vars(obj)
    return {key: values.get(key) for key in keys}


async def insert_reviews(
    session: AsyncSession, reviews: Sequence[tuple[Workflow, list[Step]]]
) -> None:
    """Store planned workflows and their steps (built, not added to the session): the
    workflows in one INSERT, then the steps that reference them in another."""
    if not reviews:
        return
    await session.execute(_INSERT_WORKFLOWS, [_row(wf, _WORKFLOW_KEYS) for wf, _ in reviews])
    steps = [_row(step, _STEP_KEYS) for _, rows in reviews for step in rows]
    if steps:
        await session.execute(_INSERT_STEPS, steps)


async def step_with_workflow(session: AsyncSession, step_id: uuid.UUID) -> tuple[Workflow, Step]:
    """The step and its workflow; 404 when missing or another jurisdiction's (RLS)."""
    step = await session.get(Step, step_id)
    if step is None:
        raise NotFound("审核环节", step_id)
    wf = await session.get(Workflow, step.workflow_id)
    if wf is None:  # the foreign key holds: only a broken database lacks it
        raise RuntimeError(f"workflow {step.workflow_id} of step {step.id} is missing")
    return wf, step


async def lock(session: AsyncSession, wf: Workflow, step: Step) -> None:
    """Lock the step and its workflow, and read them again, before acting on them.

    Called after authorization: ``FOR UPDATE`` sees only rows the caller may
    write (RLS), so locking first would answer an overseeing city 404 instead
    of 403 (ADR 0008). Two opinions on one step then run one after the other.
    """
    await session.refresh(step, with_for_update=True)
    await session.refresh(wf, with_for_update=True)


async def get_workflow(session: AsyncSession, workflow_id: uuid.UUID) -> Workflow:
    wf = await session.get(Workflow, workflow_id)
    if wf is None:
        raise NotFound("审核流程", workflow_id)
    return wf


#: A project's own review (a change's re-review has ``purpose == "change"``).
_PROJECT_WORKFLOWS = sa.select(Workflow).where(Workflow.purpose == "project")


async def latest_project_workflow(session: AsyncSession, project_id: uuid.UUID) -> Workflow:
    """The workflow of the project's latest submission (a resubmission opens a new one)."""
    latest = _PROJECT_WORKFLOWS.where(Workflow.project_id == project_id)
    wf = (await session.scalars(latest.order_by(Workflow.submission.desc()).limit(1))).first()
    if wf is None:
        raise NotFound("审核流程", project_id)
    return wf


async def of_decision(session: AsyncSession, decision_id: uuid.UUID) -> Workflow:
    """The project workflow a decision opened (in the same transaction, so it exists)."""
    wf = (
        await session.scalars(_PROJECT_WORKFLOWS.where(Workflow.decision_id == decision_id))
    ).first()
    if wf is None:
        raise RuntimeError(f"decision {decision_id} has no workflow")
    return wf


async def steps_of(session: AsyncSession, wf: Workflow) -> list[Step]:
    return await fetch_all(
        session, sa.select(Step).where(Step.workflow_id == wf.id).order_by(Step.seq)
    )


async def opinions_of(session: AsyncSession, steps: Iterable[Step]) -> Sequence[Opinion]:
    ids = [s.id for s in steps]
    if not ids:
        return []
    return (
        await session.scalars(
            sa.select(Opinion).where(Opinion.step_id.in_(ids)).order_by(Opinion.created_at)
        )
    ).all()


# The orders a work queue may take (?sort=, "-" for descending): the column each reads and
# its cursor type. A step waits from when it opened (the workflow's start for the first).
OPENED = sa.func.coalesce(Step.opened_at, Workflow.opened_at)
TASK_SORTS: dict[str, tuple[Any, type[SortValue]]] = {
    "opened": (OPENED, datetime),
    "name": (Workflow.project_name, str),
    "amount": (Workflow.amount, int),
}


def _sort_value(key: str, wf: Workflow, step: Step) -> SortValue:
    if key == "opened":
        return step.opened_at or wf.opened_at
    return wf.project_name if key == "name" else wf.amount


async def open_steps_for(
    session: AsyncSession,
    *,
    tenant: str,
    roles: Iterable[str],
    unit_id: str | None,
    limit: int,
    sort: str = "opened",
    cursor: str | None = None,
) -> tuple[list[tuple[Workflow, Step]], str | None]:
    """One page of the open steps of ``tenant`` for ``roles`` (a unit-bound caller sees only
    its unit's) in the order ``sort``, and the next page's cursor; keyset on (the sort
    column, step id), so a page never repeats or skips a step."""
    key, _ = sort_of(sort, TASK_SORTS, "排序方式无效：可按到达时间、项目名称或金额排序")
    column, kind = TASK_SORTS[key]
    stmt = (
        sa.select(Workflow, Step)
        .join(Step, Step.workflow_id == Workflow.id)
        .where(Step.state == "open", Step.tenant_id == tenant, Step.role.in_(sorted(roles)))
    )
    if unit_id is not None:
        # Unit steps of other units are not this caller's work; other roles' steps stay.
        stmt = stmt.where(sa.or_(Step.role != "unit_officer", Workflow.unit_id == unit_id))
    stmt = keyset(stmt, column, Step.id, sort=sort, kind=kind, cursor=cursor, limit=limit)
    rows = [(wf, step) for wf, step in (await session.execute(stmt)).all()]
    if len(rows) <= limit:
        return rows, None
    wf, step = rows[limit - 1]
    return rows[:limit], encode_sorted_cursor(sort, _sort_value(key, wf, step), step.id)


async def expert_reviews_for(
    session: AsyncSession, *, tenant: str, user: str, limit: int
) -> Sequence[tuple[Workflow, Step]]:
    """Open expert reviews of ``tenant`` naming ``user``."""
    stmt = (
        sa.select(Workflow, Step)
        .join(Step, Step.workflow_id == Workflow.id)
        .where(
            Step.state == "open",
            Step.tenant_id == tenant,
            Step.code == "expert_review",
            Step.experts.contains([{"user": user}]),
        )
        .order_by(Step.opened_at)
        .limit(limit)
    )
    return [(wf, step) for wf, step in (await session.execute(stmt)).all()]


async def named_experts(session: AsyncSession, wf: Workflow) -> frozenset[str]:
    """Every expert named in any step of ``wf`` (the users who may read it as experts)."""
    rows = await session.scalars(sa.select(Step.experts).where(Step.workflow_id == wf.id))
    return frozenset(e["user"] for experts in rows for e in experts)
