"""The ``registry_notifications`` consumer: the events that need a person become messages.

Its own durable consumer and inbox beside the registry's main one (and the
trail's), so a message that cannot be made never holds back a project's
state, and a redelivered event is skipped by the inbox (and could not make a
second message anyway: :func:`service.notify`). The registry knows each
project's name and unit, so messages name the project and reach its unit.

| event | for | kind |
|---|---|---|
| approval ``step.opened`` | the step's role in the tenant | step_opened |
| approval ``step.experts_assigned`` | each named expert | experts_assigned |
| approval ``project.returned`` / ``rejected`` | the project's unit | project_returned / _rejected |
| approval ``change.returned`` / ``rejected`` | the project's unit | change_returned / _rejected |
| approval ``approval.expired`` | the unit and the bureau | approval_expired |
| approval ``report.received`` (in the city) | the reporting county's bureau | report_received |
| acceptance ``project.review_requested`` | the reviewing role | review_requested |
| acceptance ``project.review_returned`` | the project's unit | acceptance_returned |
| acceptance ``deadline.reminder`` | the project's unit | deadline_reminder |
| acceptance ``deadline.overdue`` | the unit and the bureau | deadline_overdue |
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import TenantContext, apply_tenant_context
from libs.common.events import Event, Reject
from libs.common.service import EventHandler, ExtraConsumer
from services.registry.models import Project, tenants
from services.registry.notifications.channels import configured
from services.registry.notifications.service import Audience, notify, role_audience

__all__ = ["CONSUMER", "HANDLERS"]

BUREAU = Audience(role="bureau_officer")


async def _project(session: AsyncSession, data: Mapping[str, Any]) -> Project | None:
    try:
        project_id = uuid.UUID(str(data.get("project_id")))
    except ValueError:
        return None
    return await session.get(Project, project_id)


async def _tell(
    session: AsyncSession,
    event: Event,
    kind: str,
    audiences: list[Audience | None],
    project: Project | None,
    facts: Mapping[str, Any],
    *,
    tenant: str | None = None,
) -> None:
    wanted = [a for a in audiences if a is not None]
    if not wanted:
        return
    await notify(
        session,
        tenant=tenant or event.tenant,
        event_id=event.id,
        kind=kind,
        audiences=wanted,
        project_id=project.id if project else None,
        project_name=project.name if project else event.data.get("project_name"),
        facts=facts,
        at=event.time,
        channels=tuple(configured()),
    )


def _unit(project: Project | None) -> Audience | None:
    return Audience.unit(project.unit_id) if project is not None else None


def _to_unit(kind: str, *, bureau: bool = False) -> EventHandler:
    """A return, refusal or notice for the project's unit (and the bureau, if asked)."""

    async def handle(session: AsyncSession, event: Event) -> None:
        project = await _project(session, event.data)
        data = event.data
        facts = {
            "reason": data.get("reason"),
            "route": data.get("route") or (project.route if project else None),
        }
        if kind.startswith("deadline_"):
            facts |= {
                "deadline": data.get("code"),
                "due_on": data.get("due_on"),
                "days_left": data.get("days_left"),
                "days_overdue": data.get("days_overdue"),
            }
        audiences = [_unit(project), BUREAU if bureau else None]
        await _tell(session, event, kind, audiences, project, _present(facts))

    return handle


def _present(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in facts.items() if v is not None}


def _to_role(kind: str, *, role: str, fact: str, field: str) -> EventHandler:
    """Work for the role the event names in ``role`` (a unit's role: the project's unit).

    The message carries one fact, ``fact``, from the event's ``field``.
    """

    async def handle(session: AsyncSession, event: Event) -> None:
        project = await _project(session, event.data)
        audience = role_audience(event.data.get(role), project.unit_id if project else None)
        await _tell(session, event, kind, [audience], project, {fact: event.data.get(field)})

    return handle


async def on_experts_assigned(session: AsyncSession, event: Event) -> None:
    project = await _project(session, event.data)
    experts = [Audience(user=str(e["user"])) for e in event.data.get("experts") or []]
    await _tell(
        session,
        event,
        "experts_assigned",
        list(experts),
        project,
        {"step": event.data.get("code")},
    )


async def on_report_received(session: AsyncSession, event: Event) -> None:
    """The city received a county's report: tell the county's bureau, in the county's tenant."""
    county = str(event.data.get("from_tenant"))
    parent = await session.scalar(sa.select(tenants.c.parent_code).where(tenants.c.code == county))
    if parent != event.tenant:
        raise Reject(f"{county} 不是 {event.tenant} 的下级辖区，不能确认其报备")
    # The message belongs to the county (its people read it there, under its RLS).
    await apply_tenant_context(session, TenantContext.own(county))
    try:
        project = await _project(session, event.data)
        await _tell(
            session,
            event,
            "report_received",
            [BUREAU],
            project,
            {"number": event.data.get("number")},
            tenant=county,
        )
    finally:
        await apply_tenant_context(session, TenantContext.own(event.tenant))


_A = "govproj.approval."
_C = "govproj.acceptance."
HANDLERS: Mapping[str, Callable[[AsyncSession, Event], Awaitable[None]]] = {
    f"{_A}step.opened.v1": _to_role("step_opened", role="role", fact="step", field="code"),
    f"{_A}step.experts_assigned.v1": on_experts_assigned,
    f"{_A}project.returned.v1": _to_unit("project_returned"),
    f"{_A}project.rejected.v1": _to_unit("project_rejected"),
    f"{_A}change.returned.v1": _to_unit("change_returned"),
    f"{_A}change.rejected.v1": _to_unit("change_rejected"),
    f"{_A}approval.expired.v1": _to_unit("approval_expired", bureau=True),
    f"{_A}report.received.v1": on_report_received,
    f"{_C}project.review_requested.v1": _to_role(
        "review_requested", role="reviewer_role", fact="mode", field="mode"
    ),
    f"{_C}project.review_returned.v1": _to_unit("acceptance_returned"),
    f"{_C}deadline.reminder.v1": _to_unit("deadline_reminder"),
    f"{_C}deadline.overdue.v1": _to_unit("deadline_overdue", bureau=True),
}

#: From the start of the stream, like every consumer: a first deployment files
#: what the stream still holds at the events' own times (nobody is e-mailed
#: about it: no address is on file yet); the inbox remembers what was filed.
CONSUMER = ExtraConsumer(
    durable="registry_notifications",
    stream="GOVPROJ",
    subjects=(
        "govproj.*.approval.step.>",
        "govproj.*.approval.project.>",
        "govproj.*.approval.change.>",
        "govproj.*.approval.approval.>",
        "govproj.*.approval.report.>",
        "govproj.*.acceptance.project.>",
        "govproj.*.acceptance.deadline.>",
    ),
    handlers=HANDLERS,
)
