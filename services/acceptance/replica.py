"""The service's copy of each project, kept from other services' events.

- ``govproj.approval.project.decided.v1``: the whole decision and its facts (a
  new submission replaces the old decision);
- ``govproj.approval.project.approved.v1`` / ``filed.v1``: the approval document;
- ``govproj.registry.project.state_changed.v1``: the lifecycle state (by the
  project's version, so a late delivery never goes back), the unit and amount;
- ``govproj.archive.document.uploaded.v1`` / ``attached.v1``: which archive
  documents exist, of what type, for which project (evidence is checked against them).

Two consumed events act on an aggregate and live with it: the first contract
(``deadlines/handlers.py``: the 建设期 starts) and 档案验收 (``review/handlers.py``).

An event that names no usable project or document, or one of another tenant,
is wrong and stays wrong: the handler raises :class:`Reject` and the consumer
runner dead-letters it with the reason, changing nothing.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import cacheable_insert, parameters
from libs.common.deadlines import CHINA
from libs.common.errors import NotFound
from libs.common.events import Event, Reject
from services.acceptance.models import Document, Project
from services.acceptance.rules import now

__all__ = [
    "get_project",
    "local_date",
    "on_decided",
    "on_document",
    "on_reviewed",
    "on_state_changed",
    "project_for_event",
    "stale",
]


async def get_project(session: AsyncSession, project_id: uuid.UUID) -> Project:
    """A project of a visible tenant (RLS) that acceptance knows: its decision has arrived.

    Not locked: ``FOR UPDATE`` sees only the caller's own tenant, so a route locks the
    project after ``Access.check`` (deps.py), never before.
    """
    project = await session.get(Project, project_id)
    if project is None or project.decision is None:
        raise NotFound("项目", project_id)
    return project


def _uuid(event: Event, field: str) -> uuid.UUID:
    value = event.data.get(field)
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Reject(f"{field}: {value!r} 不是 UUID（{event.type}）") from None


def _claim_statement(model: Any, *columns: str) -> sa.TextClause:
    """INSERT of a new row unless its id exists, compiled once (cacheable_insert)."""
    return cacheable_insert(
        insert(model)
        .values(parameters(*columns))
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(model.id)
    )


_CLAIM_PROJECT = _claim_statement(
    Project, "id", "tenant_id", "submission", "state", "registry_version", "updated_at"
)
_CLAIM_DOCUMENT = _claim_statement(Document, "id", "tenant_id", "project_ids", "seen_at")


async def _claim(session: AsyncSession, claim: sa.TextClause, values: dict[str, Any]) -> bool:
    """Run a ``_CLAIM_*``: False when the id exists (in any tenant: RLS hides it)."""
    return await session.scalar(claim, values) is not None


async def project_for_event(session: AsyncSession, event: Event) -> Project:
    """The project an event names, created empty when first heard of (locked for update).

    The consumer reads in the event's tenant only, so another tenant's project is
    invisible here; its id is then taken, and the event is rejected.
    """
    project_id = _uuid(event, "project_id")
    project = await session.get(Project, project_id, with_for_update=True)
    if project is None:
        fresh = {
            "id": project_id,
            "tenant_id": event.tenant,
            "submission": int(event.data.get("submission") or 1),
            "state": "draft",
            "registry_version": 0,
            "updated_at": now(),
        }
        if not await _claim(session, _CLAIM_PROJECT, fresh):
            raise Reject(f"project_id: 项目 {project_id} 属于其他辖区（{event.type}）")
        project = await session.get(Project, project_id, with_for_update=True)
    if project is None or project.tenant_id != event.tenant:
        raise Reject(f"project_id: 项目 {project_id} 属于其他辖区（{event.type}）")
    return project


def stale(project: Project, event: Event) -> bool:
    """Whether the event speaks of an older submission than the copy holds (then it is ignored)."""
    submission = event.data.get("submission")
    return submission is not None and int(submission) < project.submission


async def on_decided(session: AsyncSession, event: Event) -> None:
    project = await project_for_event(session, event)
    if stale(project, event):
        return
    data = event.data
    if not isinstance(data.get("decision"), dict):
        raise Reject(f"decision: 缺少政策判定（{event.type}）")
    project.submission = int(data.get("submission") or project.submission)
    project.decision_id = str(data.get("decision_id"))
    project.route = str(data.get("route"))
    project.decision = dict(data.get("decision") or {})
    project.facts = dict(data.get("facts") or {})
    amount = project.facts.get("amount")
    project.amount = int(amount) if isinstance(amount, int) else project.amount
    project.updated_at = now()


async def on_reviewed(session: AsyncSession, event: Event) -> None:
    """approved / filed: keep the approval document (文号, date, approved amount, article)."""
    project = await project_for_event(session, event)
    if stale(project, event):
        return
    project.approval = {
        **dict(event.data.get("approval") or {}),
        "route": event.data.get("route"),
        "outcome": event.type.split(".")[3],
    }
    project.updated_at = now()


def local_date(at: datetime) -> date:
    """The China date of an instant (the day the regulations count from)."""
    return at.astimezone(CHINA).date()


async def on_state_changed(session: AsyncSession, event: Event) -> None:
    project = await project_for_event(session, event)
    data = event.data
    version = int(data.get("version") or 0)
    if version <= project.registry_version:
        return  # an older state delivered late
    project.registry_version = version
    # The registry echoes the transitions this service drives (completed, review,
    # accepted, ...): those states are already set here, and an echo arriving after
    # the next local step must not undo it. Other triggers (decision, approval,
    # procurement, contract, termination) are the registry's to report.
    if not str(data.get("trigger") or "").startswith("govproj.acceptance."):
        project.state = str(data.get("state") or data.get("to") or project.state)
    project.unit_id = str(data["unit_id"]) if data.get("unit_id") else project.unit_id
    project.name = str(data.get("name") or project.name or "")
    if isinstance(data.get("amount"), int):
        project.amount = data["amount"]
    project.updated_at = now()


async def on_document(session: AsyncSession, event: Event) -> None:
    """uploaded / attached: remember the document, its type and the projects it belongs to."""
    data = event.data
    document_id = _uuid(event, "document_id")
    doc = await session.get(Document, document_id, with_for_update=True)
    if doc is None:
        fresh = {"id": document_id, "tenant_id": event.tenant, "project_ids": [], "seen_at": now()}
        if await _claim(session, _CLAIM_DOCUMENT, fresh):
            doc = await session.get(Document, document_id, with_for_update=True)
    if doc is None or doc.tenant_id != event.tenant:
        raise Reject(f"document_id: 文件 {document_id} 属于其他辖区（{event.type}）")
    if data.get("doc_type"):
        doc.doc_type = str(data["doc_type"])
    if data.get("title"):
        doc.title = str(data["title"])[:500]
    project_id = data.get("project_id")
    if project_id and str(project_id) not in doc.project_ids:
        doc.project_ids = [*doc.project_ids, str(project_id)]
    await session.flush()
