"""The service's copy of each project, kept from other services' events.

- ``govproj.approval.project.decided.v1``: the whole decision and its facts (a
  new submission replaces the old decision);
- ``govproj.approval.project.approved.v1`` / ``filed.v1``: the approval document;
- ``govproj.registry.project.state_changed.v1``: the lifecycle state (by the
  project's version, so a late delivery never goes back), the unit and amount;
- ``govproj.budget.project.contracted.v1``: the first contract's ``signed_on`` is
  the day construction began (the 建设期 deadlines count from it);
- ``govproj.archive.document.uploaded.v1`` / ``attached.v1``: which archive
  documents exist, of what type, for which project (evidence is checked against them);
- ``govproj.archive.acceptance.passed.v1`` / ``failed.v1``: 档案验收, which ticks
  (or unticks) the checklist's ``archive_acceptance`` item of an open review.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.deadlines import CHINA
from libs.common.events import Event, emit
from services.acceptance import schedule
from services.acceptance.models import Deadline, Document, Project, Review

log = logging.getLogger(__name__)

SERVICE = "acceptance"


def now() -> datetime:
    return datetime.now(UTC)


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def project_for_event(session: AsyncSession, event: Event) -> Project | None:
    """The project an event names, created empty when first heard of (locked for update)."""
    project_id = _uuid(event.data.get("project_id"))
    if project_id is None:
        log.warning("%s without a project id: %s", event.type, event.id)
        return None
    project = await session.get(Project, project_id, with_for_update=True)
    if project is None:
        project = Project(
            id=project_id,
            tenant_id=event.tenant,
            submission=int(event.data.get("submission") or 1),
            state="draft",
            registry_version=0,
            updated_at=now(),
        )
        session.add(project)
        await session.flush()
    elif project.tenant_id != event.tenant:
        log.warning("%s: project %s belongs to another tenant", event.type, project_id)
        return None
    return project


def _stale(project: Project, event: Event) -> bool:
    submission = event.data.get("submission")
    return submission is not None and int(submission) < project.submission


async def on_decided(session: AsyncSession, event: Event) -> None:
    project = await project_for_event(session, event)
    if project is None or _stale(project, event):
        return
    data = event.data
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
    if project is None or _stale(project, event):
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
    if project is None:
        return
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


async def on_contracted(session: AsyncSession, event: Event) -> None:
    """The first contract signed starts the 建设期 (procuring → implementing): its date counts."""
    project = await project_for_event(session, event)
    if project is None or _stale(project, event) or project.implementing_on is not None:
        return
    try:
        signed_on = date.fromisoformat(str(event.data.get("signed_on")))
    except ValueError:
        signed_on = local_date(event.time)
    project.implementing_on = signed_on
    project.updated_at = now()
    await plan_deadlines(session, project, "implementing", signed_on, dict(event.actor))


async def plan_deadlines(
    session: AsyncSession, project: Project, anchor: str, on: date, actor: dict[str, Any]
) -> list[Deadline]:
    """Record the deadlines the decision's time limits start at ``anchor`` (once each)."""
    limits = (project.decision or {}).get("time_limits") or []
    out: list[Deadline] = []
    for planned in schedule.plan(limits, anchor, on):
        exists = await session.scalar(
            sa.select(Deadline.id).where(
                Deadline.project_id == project.id,
                Deadline.submission == project.submission,
                Deadline.code == planned.code,
            )
        )
        if exists is not None:
            continue
        row = Deadline(
            id=uuid.uuid4(),
            tenant_id=project.tenant_id,
            project_id=project.id,
            submission=project.submission,
            code=planned.code,
            anchor=anchor,
            anchor_on=on,
            period=planned.period,
            month_day=planned.month_day,
            working_days=planned.working_days,
            due_on=planned.due_on,
            original_due_on=planned.due_on,
            calendar_known=planned.calendar_known,
            article=planned.article,
            explanation=planned.explanation,
            status="open",
            created_at=now(),
        )
        session.add(row)
        await session.flush()
        await emit(
            session,
            tenant=project.tenant_id,
            service=SERVICE,
            aggregate="deadline",
            event="scheduled",
            data={**deadline_data(project, row), "anchor": anchor, "anchor_on": on.isoformat()},
            actor=actor,
        )
        out.append(row)
    return out


def deadline_data(project: Project, row: Deadline) -> dict[str, Any]:
    return {
        "tenant": project.tenant_id,
        "project_id": str(project.id),
        "submission": project.submission,
        "project_name": project.name,
        "deadline_id": str(row.id),
        "code": row.code,
        "due_on": row.due_on.isoformat(),
        "calendar_known": row.calendar_known,
        "article": row.article,
        "policy": ((project.decision or {}).get("policy") or {}).get("document"),
        "explanation": row.explanation,
    }


async def meet_deadline(
    session: AsyncSession, project: Project, met_by: str, on: date, actor: dict[str, Any]
) -> None:
    """Close the deadlines ``met_by`` satisfies (schedule.MET_BY), late or not."""
    codes = [code for code, what in schedule.MET_BY.items() if what == met_by]
    rows = (
        await session.scalars(
            sa.select(Deadline)
            .where(
                Deadline.project_id == project.id,
                Deadline.submission == project.submission,
                Deadline.code.in_(codes),
                Deadline.status != "met",
            )
            .order_by(Deadline.original_due_on)
            .with_for_update()
        )
    ).all()
    # One report meets one cycle: the earliest still open (a yearly report is owed each year).
    earliest: dict[str, Deadline] = {}
    for row in rows:
        earliest.setdefault(row.code, row)
    for row in earliest.values():
        late = on > row.due_on
        row.status, row.met_on = "met", on
        await emit(
            session,
            tenant=project.tenant_id,
            service=SERVICE,
            aggregate="deadline",
            event="met",
            data={**deadline_data(project, row), "met_on": on.isoformat(), "late": late},
            actor=actor,
        )


async def on_document(session: AsyncSession, event: Event) -> None:
    """uploaded / attached: remember the document, its type and the projects it belongs to."""
    data = event.data
    document_id = _uuid(data.get("document_id"))
    if document_id is None:
        return
    doc = await session.get(Document, document_id, with_for_update=True)
    if doc is None:
        doc = Document(id=document_id, tenant_id=event.tenant, project_ids=[], seen_at=now())
        session.add(doc)
    elif doc.tenant_id != event.tenant:
        return
    if data.get("doc_type"):
        doc.doc_type = str(data["doc_type"])
    if data.get("title"):
        doc.title = str(data["title"])[:500]
    project_id = data.get("project_id")
    if project_id and str(project_id) not in doc.project_ids:
        doc.project_ids = [*doc.project_ids, str(project_id)]
    await session.flush()


async def on_archive_acceptance(session: AsyncSession, event: Event) -> None:
    """档案验收 passed or failed: the checklist's archive item follows the latest decision."""
    project = await project_for_event(session, event)
    if project is None:
        return
    data = event.data
    passed = data.get("outcome") == "passed" or event.type.endswith(".passed.v1")
    project.archive_acceptance = {
        "acceptance_id": data.get("acceptance_id"),
        "package_id": data.get("package_id"),
        "report_id": data.get("report_id"),
        "outcome": "passed" if passed else "failed",
        "reasons": data.get("reasons") or [],
        "decided_at": event.time.isoformat(),
        "decided_by": dict(event.actor),
    }
    project.updated_at = now()
    review = await open_review(session, project.id)
    if review is not None:
        review.items = [apply_archive(item, project) for item in review.items]


def apply_archive(item: dict[str, Any], project: Project) -> dict[str, Any]:
    """The archive item of a checklist as the project's latest archive acceptance makes it."""
    if not item.get("archive_decision"):
        return item
    archive = project.archive_acceptance or {}
    passed = archive.get("outcome") == "passed"
    return {
        **item,
        "satisfied": passed,
        "archive_acceptance_id": archive.get("acceptance_id"),
        "archive_outcome": archive.get("outcome"),
        "evidence_document_ids": [],
    }


async def open_review(session: AsyncSession, project_id: uuid.UUID) -> Review | None:
    return (
        await session.scalars(
            sa.select(Review)
            .where(Review.project_id == project_id, Review.status == "open")
            .with_for_update()
        )
    ).first()
