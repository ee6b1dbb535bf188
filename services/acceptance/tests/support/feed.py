"""Events as the other services send them, fed to acceptance's handlers in a test's session."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from libs.common.events import Event, make_event, system_actor
from services.acceptance import events
from services.acceptance.models import Document, Project
from services.acceptance.rules import now
from services.acceptance.tests.support.decisions import decide

__all__ = [
    "LAIZHOU",
    "UNIT",
    "actor",
    "deliver",
    "document",
    "event",
    "laizhou_project",
    "outbox_types",
    "project",
    "registry_state",
    "subject",
]

LAIZHOU = "370683"
#: The unit of the projects :func:`laizhou_project` makes (the registry's unit id).
UNIT = "u1"


def subject(
    role: str = "unit_officer",
    *,
    tenant: str = LAIZHOU,
    unit: str | None = UNIT,
    visible: frozenset[str] = frozenset(),
) -> AuthSubject:
    """A caller as a verified token makes it."""
    return AuthSubject(
        user=f"{role}@{tenant}",
        name="测试用户",
        tenant=tenant,
        roles=frozenset({role}),
        visible_tenants=visible,
        unit_id=unit if role == "unit_officer" else None,
    )


def actor(role: str = "unit_officer", tenant: str = LAIZHOU) -> dict[str, Any]:
    """The actor an event names for a user of ``role``."""
    return {
        "type": "user",
        "id": f"{role}@{tenant}",
        "name": "测试用户",
        "tenant": tenant,
        "roles": [role],
    }


def event(tenant: str, service: str, aggregate: str, kind: str, /, **data: Any) -> Event:
    """An event of ``service`` about ``aggregate`` in ``tenant``, named by a system actor."""
    return make_event(
        tenant=tenant,
        service=service,
        aggregate=aggregate,
        event=kind,
        data={"tenant": tenant, **data},
        actor=system_actor(f"{service}.test", tenant),
    )


async def deliver(session: AsyncSession, ev: Event) -> None:
    """Apply ``ev`` with the handler the consumer would pick (``events.HANDLERS``)."""
    await events.HANDLERS[ev.type](session, ev)


async def laizhou_project(
    session: AsyncSession,
    *,
    amount: int = 6_000_000,
    signed_on: date = date(2023, 10, 9),
    tenant: str = LAIZHOU,
    unit: str = UNIT,
) -> uuid.UUID:
    """A Laizhou project as the events make it: decided, approved, implementing since signed_on."""
    pid = uuid.uuid4()
    for ev in (
        event(
            tenant,
            "approval",
            "project",
            "decided",
            project_id=str(pid),
            submission=1,
            route="approval",
            decision_id=str(uuid.uuid4()),
            decision=decide(LAIZHOU, amount=amount, category="governance"),
            facts={"amount": amount},
        ),
        event(
            tenant,
            "approval",
            "project",
            "approved",
            project_id=str(pid),
            submission=1,
            route="approval",
            approval={"number": "莱政数立〔2023〕1号", "approved_on": "2023-07-01"},
        ),
        event(
            tenant,
            "budget",
            "project",
            "contracted",
            project_id=str(pid),
            submission=1,
            signed_on=signed_on.isoformat(),
        ),
        event(
            tenant,
            "registry",
            "project",
            "state_changed",
            project_id=str(pid),
            unit_id=unit,
            name="莱州测试项目",
            amount=amount,
            state="implementing",
            version=9,
            trigger="govproj.budget.project.contracted.v1",
        ),
    ):
        await deliver(session, ev)
    return pid


async def document(
    session: AsyncSession, pid: uuid.UUID, doc_type: str, *, tenant: str = LAIZHOU
) -> uuid.UUID:
    """An archive document of ``doc_type`` filed under the project (as the archive's event says)."""
    doc = Document(
        id=uuid.uuid4(),
        tenant_id=tenant,
        doc_type=doc_type,
        title=doc_type,
        project_ids=[str(pid)],
        seen_at=now(),
    )
    session.add(doc)
    await session.flush()
    return doc.id


async def outbox_types(session: AsyncSession, pid: uuid.UUID | None = None) -> list[str]:
    """The types of the events written so far (about ``pid``), in order."""
    q = "SELECT type FROM acceptance.outbox"
    if pid is not None:
        q += " WHERE payload->>'project_id' = :p"
    rows = await session.execute(sa.text(q + " ORDER BY id"), {"p": str(pid)})
    return [str(r[0]) for r in rows]


async def project(session: AsyncSession, pid: uuid.UUID) -> Project:
    """The project's copy as the session sees it now."""
    row = await session.get(Project, pid, populate_existing=True)
    assert row is not None
    return row


def registry_state(
    pid: uuid.UUID, state: str, version: int, trigger: str, *, tenant: str = LAIZHOU
) -> Event:
    """The registry's ``project.state_changed`` of a project at ``version``, caused by ``trigger``."""
    return event(
        tenant,
        "registry",
        "project",
        "state_changed",
        project_id=str(pid),
        state=state,
        version=version,
        trigger=trigger,
    )
