"""What the budget service keeps of other services' aggregates, learned from their events.

Projects (registry and approval events):

- ``registry.project.submitted.v1``: the project and its 建设单位 (``unit_id``);
- ``approval.project.decided.v1`` (decision + facts): the project, its route and
  requested amount. ``self_managed`` is approved by its own unit at once (the
  registry does the same); ``ineligible`` is rejected; ``out_of_scope`` and
  ``classified_rules`` leave these rules;
- ``approval.project.approved.v1`` / ``filed.v1``: 已立项 / 已备案, with the
  approved amount; ``rejected.v1`` / ``returned.v1`` close or reopen it;
- ``approval.change.filed.v1`` / ``approved.v1``: a new approved total.

An event for an earlier submission than the one on record changes nothing (a
resubmission starts over); a redelivered event is skipped by the inbox; an event
without a readable project id is rejected (dead-lettered with the reason).

Documents (archive events, :mod:`libs.common.documents`): the 财政部门意见 and
contract texts this service accepts by id must be in this replica, of the
project's tenant, filed under the project, of the right type and not deleted
(issue 16 item 9: a reference is checked against the replica of its owner).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.documents import apply_document_event
from libs.common.errors import Invalid, NotFound
from libs.common.events import Event, Reject
from libs.vocab import label
from services.budget.models import BudgetProject, documents

__all__ = [
    "ACTIVE",
    "lock",
    "on_change",
    "on_decided",
    "on_document",
    "on_outcome",
    "on_submitted",
    "require_document",
    "require_project",
    "status_text",
]

# Route of the decision -> the status the budget service gives the project.
_ROUTE_STATUS = {
    "self_managed": "approved",
    "ineligible": "rejected",
    "out_of_scope": "out_of_scope",
    "classified_rules": "out_of_scope",
}
# Approved or filed: the project may spend money (procure, contract, disburse).
ACTIVE = frozenset({"approved", "filed", "procuring", "implementing"})


def status_text(project: BudgetProject) -> str:
    """``under_review（审核中）``: the code a machine matches and the label a person reads."""
    return f"{project.status}（{label('budget_status', project.status)}）"


# --------------------------------------------------------------------------- queries


async def require_project(session: AsyncSession, project_id: uuid.UUID) -> BudgetProject:
    """The project, or 404 (unknown here, or another jurisdiction's: the same answer)."""
    stmt = (
        sa.select(BudgetProject)
        .where(BudgetProject.id == project_id)
        .execution_options(populate_existing=True)
    )
    row = (await session.scalars(stmt)).first()
    if row is None:
        raise NotFound("项目", project_id)
    return row


async def lock(session: AsyncSession, project: BudgetProject) -> BudgetProject:
    """Lock the project row: requests on one project's budget run one at a time.

    Only after the caller was authorized: FOR UPDATE applies the write policy,
    which an overseer would fail as a 404 instead of its 403.
    """
    await session.refresh(project, with_for_update=True)
    return project


async def require_document(
    session: AsyncSession,
    document_id: uuid.UUID,
    *,
    project: BudgetProject,
    doc_types: Collection[str],
    field: str,
    what: str,
) -> None:
    """422 naming ``field`` unless the document is a live ``doc_types`` file of the project.

    The tenant is compared explicitly besides row-level security: a city
    overseeing its counties reads their documents, and must still not cite one
    for a project of another tenant.
    """
    row = (await session.execute(sa.select(documents).where(documents.c.id == document_id))).first()
    if row is None or row.deleted or row.tenant_id != project.tenant_id:
        raise Invalid(field, f"电子档案中没有本辖区的文件 {document_id}（{what}须先上传电子档案）")
    if str(project.id) not in (row.project_ids or []):
        raise Invalid(field, f"文件 {document_id} 未归入本项目档案（请在电子档案中关联本项目）")
    if row.doc_type not in doc_types:
        expected = "或".join(label("document_type", t) for t in sorted(doc_types))
        given = label("document_type", row.doc_type)
        # The console drops the id (the page names the file); the types are labels.
        raise Invalid(field, f"文件 {document_id} 的类型为{given}，{what}须为{expected}")


# --------------------------------------------------------------------------- handlers


def _project_id(data: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(data["project_id"]))
    except (KeyError, ValueError):
        raise Reject(f"project_id: not a project id ({data.get('project_id')!r})") from None


def _submission(data: dict[str, Any]) -> int:
    return int(data.get("submission") or 1)


async def on_submitted(session: AsyncSession, event: Event) -> None:
    """申报: the project and its unit, before the decision arrives (same stream, in order)."""
    data = event.data
    project_id = _project_id(data)
    submission = _submission(data)
    unit = uuid.UUID(str(data["unit_id"])) if data.get("unit_id") else None
    facts = dict(data.get("facts") or {})
    name = str(data["name"]) if data.get("name") else None
    row = await session.get(BudgetProject, project_id)
    if row is not None:
        if row.submission <= submission:
            row.unit_id = unit or row.unit_id
            row.name = name or row.name
        return
    session.add(
        BudgetProject(
            id=project_id,
            tenant_id=event.tenant,
            unit_id=unit,
            name=name,
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
    project_id = _project_id(data)
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


def on_outcome(status: str) -> Callable[[AsyncSession, Event], Awaitable[None]]:
    """A handler for approved / filed / rejected / returned that sets ``status``."""

    async def handle(session: AsyncSession, event: Event) -> None:
        data = event.data
        project_id = _project_id(data)
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

    handle.__name__ = handle.__qualname__ = f"on_{status}"
    return handle


async def on_change(session: AsyncSession, event: Event) -> None:
    """A change of the approved total: filed within the limit, or approved again.

    ``change.filed`` of an adjustment carries the new total (never above the
    approved budget); ``change.approved`` the total approved by the re-review.
    Other changes (late delivery, termination …) leave the money as it is.
    """
    data = event.data
    project_id = _project_id(data)
    if event.type.endswith(".change.filed.v1"):
        if data.get("kind") != "adjustment":
            return
        total = data.get("new_total")
    else:
        total = data.get("approved_amount")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        return  # a change that moves no money (e.g. a later delivery date)
    row = await session.get(BudgetProject, project_id, with_for_update=True)
    if row is None or row.submission > _submission(data):
        return
    row.approved_amount = total
    row.updated_at = datetime.now(UTC)
    await session.flush()


async def on_document(session: AsyncSession, event: Event) -> None:
    """An archive document was uploaded, attached to a project or deleted."""
    await apply_document_event(session, documents, event)
