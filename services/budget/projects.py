"""What the budget service knows of a project: learned from the approval service's events.

- ``approval.project.decided.v1`` (decision + facts): the project, its route and
  requested amount. ``self_managed`` is approved by its own unit at once (the
  registry does the same); ``ineligible`` is rejected; ``out_of_scope`` and
  ``classified_rules`` leave these rules.
- ``approval.project.approved.v1`` / ``filed.v1``: 已立项 / 已备案, with the
  approved amount; ``rejected.v1`` / ``returned.v1`` close or reopen it.

An event for an earlier submission than the one on record changes nothing (a
resubmission starts over); a redelivered event is skipped by the inbox.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Problem
from libs.common.events import Event
from services.budget.models import BudgetProject

__all__ = ["ACTIVE", "get_project", "on_decided", "on_outcome", "on_submitted", "require_project"]

# Route of the decision -> the status the budget service gives the project.
_ROUTE_STATUS = {
    "self_managed": "approved",
    "ineligible": "rejected",
    "out_of_scope": "out_of_scope",
    "classified_rules": "out_of_scope",
}
# Approved or filed: the project may spend money (procure, contract, disburse).
ACTIVE = frozenset({"approved", "filed", "procuring", "implementing"})


def _submission(data: dict[str, Any]) -> int:
    return int(data.get("submission") or 1)


async def get_project(session: AsyncSession, project_id: uuid.UUID) -> BudgetProject | None:
    """The project if the caller's tenant context can read it (RLS), else None."""
    return await session.get(BudgetProject, project_id, populate_existing=True)


async def require_project(
    session: AsyncSession, project_id: uuid.UUID, *, for_update: bool = False
) -> BudgetProject:
    """The project, or 404 (unknown here, or another jurisdiction's: the same answer)."""
    stmt = sa.select(BudgetProject).where(BudgetProject.id == project_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.scalars(stmt.execution_options(populate_existing=True))).first()
    if row is None:
        raise Problem.not_found("项目", project_id)
    return row


async def on_submitted(session: AsyncSession, event: Event) -> None:
    """申报: the project and its unit, before the decision arrives (same stream, in order)."""
    data = event.data
    project_id = uuid.UUID(str(data["project_id"]))
    submission = _submission(data)
    unit = uuid.UUID(str(data["unit_id"])) if data.get("unit_id") else None
    facts = dict(data.get("facts") or {})
    row = await session.get(BudgetProject, project_id)
    if row is not None:
        if row.submission <= submission:
            row.unit_id = unit or row.unit_id
        return
    session.add(
        BudgetProject(
            id=project_id,
            tenant_id=event.tenant,
            unit_id=unit,
            submission=submission,
            status="submitted",
            route="",
            amount=int(facts.get("amount") or data.get("amount") or 0),
            decision={},
            facts=facts,
            updated_at=datetime.now(UTC),
        )
    )
    await session.flush()


async def on_decided(session: AsyncSession, event: Event) -> None:
    """Record (or reset, for a newer submission) the project from its policy decision."""
    data = event.data
    project_id = uuid.UUID(str(data["project_id"]))
    submission = _submission(data)
    facts = dict(data.get("facts") or {})
    decision = dict(data.get("decision") or {})
    route = str(data.get("route") or decision.get("route", {}).get("code") or "")
    row = await session.get(BudgetProject, project_id)
    if row is not None and row.submission > submission:
        return
    status = _ROUTE_STATUS.get(route, "under_review")
    values: dict[str, Any] = {
        "submission": submission,
        "status": status,
        "route": route,
        "decision_id": data.get("decision_id"),
        "amount": int(facts.get("amount") or 0),
        "approved_amount": int(facts.get("amount") or 0) if status == "approved" else None,
        "decision": decision,
        "facts": facts,
        "approval": None,
        "updated_at": datetime.now(UTC),
    }
    if row is None:
        session.add(BudgetProject(id=project_id, tenant_id=event.tenant, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
    await session.flush()


def on_outcome(status: str) -> Any:
    """A handler for approved / filed / rejected / returned that sets ``status``."""

    async def handle(session: AsyncSession, event: Event) -> None:
        data = event.data
        project_id = uuid.UUID(str(data["project_id"]))
        submission = _submission(data)
        row = await session.get(BudgetProject, project_id)
        if row is None:
            # The decision never reached us (e.g. a replay that starts later): keep what we can.
            row = BudgetProject(
                id=project_id,
                tenant_id=event.tenant,
                submission=submission,
                status=status,
                route=str(data.get("route") or ""),
                decision_id=data.get("decision_id"),
                amount=0,
                decision={},
                facts={},
                updated_at=datetime.now(UTC),
            )
            session.add(row)
        elif row.submission > submission:
            return
        row.submission = submission
        row.status = status
        approval = data.get("approval")
        if isinstance(approval, dict):
            row.approval = approval
            approved = approval.get("approved_amount")
            if isinstance(approved, int) and not isinstance(approved, bool):
                row.approved_amount = approved
            elif row.approved_amount is None and status in ("approved", "filed"):
                row.approved_amount = row.amount or None
        row.updated_at = datetime.now(UTC)
        await session.flush()

    handle.__name__ = f"on_{status}"
    return handle


async def on_change(session: AsyncSession, event: Event) -> None:
    """A change of the approved total: filed within the limit, or approved again.

    ``change.filed`` of an adjustment carries the new total (never above the
    approved budget); ``change.approved`` the total approved by the re-review.
    Other changes (late delivery, termination …) leave the money as it is.
    """
    data = event.data
    try:
        project_id = uuid.UUID(str(data["project_id"]))
    except (KeyError, ValueError):
        return
    if event.type.endswith(".change.filed.v1"):
        if data.get("kind") != "adjustment":
            return
        total = data.get("new_total")
    else:
        total = data.get("approved_amount")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        return
    row = await session.get(BudgetProject, project_id, with_for_update=True)
    if row is None or row.submission > _submission(data):
        return
    row.approved_amount = total
    row.updated_at = datetime.now(UTC)
    await session.flush()
