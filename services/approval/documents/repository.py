"""Queries of approval documents (立项批复 / 备案确认) and their number counters."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, NotFound
from services.approval.models import (
    ApprovalDocument,
    Decision,
    DocumentNumber,
    Workflow,
    tenants,
    units,
)


async def in_force(
    session: AsyncSession, project_id: uuid.UUID
) -> tuple[Workflow, ApprovalDocument]:
    """The project's approval (or filing) in force: the latest finished project workflow."""
    row = (
        await session.execute(
            sa.select(Workflow, ApprovalDocument)
            .join(ApprovalDocument, ApprovalDocument.workflow_id == Workflow.id)
            .where(Workflow.project_id == project_id, Workflow.purpose == "project")
            .order_by(Workflow.submission.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        raise Conflict(
            "not_approved",
            "项目尚未立项或备案",
            f"project {project_id}: 只有已立项或已备案的项目可以申请调整或变更",
        )
    return row[0], row[1]


async def readable_in_force(
    session: AsyncSession, project_id: uuid.UUID
) -> tuple[Workflow, ApprovalDocument]:
    """:func:`in_force` for a reader: 404 for a project with no workflow the caller can see
    (another jurisdiction's, under RLS), 409 for one of its own not yet approved or filed."""
    try:
        return await in_force(session, project_id)
    except Conflict:
        seen = await session.scalar(
            sa.select(Workflow.id).where(Workflow.project_id == project_id).limit(1)
        )
        if seen is None:
            raise NotFound("项目", project_id) from None
        raise


async def lock(session: AsyncSession, doc: ApprovalDocument) -> None:
    """Hold ``doc``'s row until the transaction ends: two change requests of one project
    are then judged one after the other, each counting the adjustments filed before it."""
    await session.execute(
        sa.select(ApprovalDocument.id).where(ApprovalDocument.id == doc.id).with_for_update()
    )


async def of_workflow(session: AsyncSession, workflow_id: uuid.UUID) -> ApprovalDocument | None:
    return (
        await session.scalars(
            sa.select(ApprovalDocument).where(ApprovalDocument.workflow_id == workflow_id)
        )
    ).first()


async def next_number(session: AsyncSession, tenant: str, year: int, kind: str) -> int:
    """The next sequence number of ``kind`` in ``tenant``'s ``year`` (the upsert locks the row)."""
    stmt = (
        insert(DocumentNumber)
        .values(tenant_id=tenant, year=year, kind=kind, last=1)
        .on_conflict_do_update(
            index_elements=["tenant_id", "year", "kind"],
            set_={"last": DocumentNumber.last + 1},
        )
        .returning(DocumentNumber.last)
    )
    return int((await session.execute(stmt)).scalar_one())


async def tenant_name(session: AsyncSession, tenant: str) -> str | None:
    return (
        await session.execute(sa.select(tenants.c.name).where(tenants.c.code == tenant))
    ).scalar_one_or_none()


async def unit_name(session: AsyncSession, unit_id: str | None) -> str | None:
    """The unit's name from the registry's unit events (None before the replica has it)."""
    try:
        key = uuid.UUID(str(unit_id))
    except ValueError:
        return None
    return (
        await session.execute(sa.select(units.c.name).where(units.c.id == key))
    ).scalar_one_or_none()


async def decision_of(session: AsyncSession, wf: Workflow) -> dict[str, Any]:
    """The decision (JSON) that opened ``wf``."""
    decision = await session.get(Decision, wf.decision_id)
    if decision is None:  # the workflow row references it; only a broken database lacks it
        raise RuntimeError(f"decision {wf.decision_id} of workflow {wf.id} is missing")
    return dict(decision.decision)


async def expired_unannounced(
    session: AsyncSession, tenant: str, today: date
) -> Sequence[tuple[ApprovalDocument, Workflow]]:
    """Approvals of ``tenant`` past validity, not acted on, not yet announced (locked)."""
    rows = await session.execute(
        sa.select(ApprovalDocument, Workflow)
        .join(Workflow, Workflow.id == ApprovalDocument.workflow_id)
        .where(
            ApprovalDocument.tenant_id == tenant,
            ApprovalDocument.valid_until < today,
            ApprovalDocument.expired_notified.is_(False),
            ApprovalDocument.implementation_started_on.is_(None),
        )
        .with_for_update(of=ApprovalDocument, skip_locked=True)
    )
    return [(doc, wf) for doc, wf in rows.all()]


async def mark_started(session: AsyncSession, project_id: uuid.UUID, started_on: date) -> None:
    """Remember the day the project's procurement started (the first such day wins)."""
    await session.execute(
        sa.update(ApprovalDocument)
        .where(
            ApprovalDocument.project_id == project_id,
            ApprovalDocument.implementation_started_on.is_(None),
        )
        .values(implementation_started_on=started_on)
    )
