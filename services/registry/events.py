"""Events the registry publishes and the decisions it consumes.

Publishes (every one names its actor in ``ce-actor``):

- ``govproj.registry.tenant.created.v1`` / ``tenant.updated.v1``: the tenant tree;
  every other service keeps a replica from them.
- ``govproj.registry.unit.created.v1``: a 建设单位 was registered.
- ``govproj.registry.project.created.v1`` / ``updated.v1``: a draft and its edits.
- ``govproj.registry.project.submitted.v1``: 申报, carrying the policy facts and
  ``submitted_on`` (the approval service decides on them).
- ``govproj.registry.project.state_changed.v1``: any other lifecycle transition,
  with the trigger and the event that caused it.
- ``govproj.registry.system.registered.v1`` / ``updated.v1`` / ``state_changed.v1`` /
  ``decommissioned.v1``: the 政务信息系统目录.
- ``govproj.registry.plan.demand_submitted.v1`` / ``plan.consolidated.v1``: annual plans.

Consumes the approval service's decisions, and the budget and acceptance
services' project events (procurement, contract, completion, acceptance,
operation, evaluation, decommissioning) (see :mod:`services.registry.lifecycle`):
each drives one transition of the state machine, recorded in the project's
history with the event's id; an event the machine does not allow (a late or
repeated decision) changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event
from libs.common.service import EventHandler
from services.registry import lifecycle
from services.registry.models import Project
from services.registry.projects import service

log = logging.getLogger(__name__)

PUBLISHES = (
    "govproj.registry.tenant.created.v1",
    "govproj.registry.tenant.updated.v1",
    "govproj.registry.unit.created.v1",
    "govproj.registry.project.created.v1",
    "govproj.registry.project.updated.v1",
    "govproj.registry.project.submitted.v1",
    "govproj.registry.project.state_changed.v1",
    "govproj.registry.system.registered.v1",
    "govproj.registry.system.updated.v1",
    "govproj.registry.system.state_changed.v1",
    "govproj.registry.system.decommissioned.v1",
    "govproj.registry.plan.demand_submitted.v1",
    "govproj.registry.plan.consolidated.v1",
)


async def _drive(
    session: AsyncSession,
    event: Event,
    trigger: str,
    *,
    route: str | None = None,
    reason: str | None = None,
    decision: dict[str, Any] | None = None,
    problem: dict[str, Any] | None = None,
) -> None:
    data = event.data
    try:
        project_id = uuid.UUID(str(data.get("project_id")))
    except ValueError:
        log.warning("%s without a project id: %s", event.type, event.id)
        return
    project = await session.get(Project, project_id, with_for_update=True)
    if project is None or project.tenant_id != event.tenant:
        log.warning("%s for unknown project %s", event.type, project_id)
        return
    submission = data.get("submission")
    if submission is not None and submission != project.submission:
        log.info("%s for an earlier submission of %s ignored", event.type, project_id)
        return
    transition = lifecycle.find(project.state, trigger, route)
    if transition is None:
        log.warning(
            "%s: %s not allowed from %s; nothing changes", event.type, project_id, project.state
        )
        return
    if route is not None:
        project.route = route
    if decision is not None:
        project.decision = decision
    if problem is not None:
        project.decision_problem = problem
    actor = dict(event.actor)
    await service.record(
        session, project, transition, event_id=event.id, actor=actor, reason=reason
    )
    await service.emit_state_changed(
        session, project, transition, actor=actor, reason=reason, cause=event.id
    )


async def on_decided(session: AsyncSession, event: Event) -> None:
    data = event.data
    route = str(data.get("route"))
    explanation = data.get("explanation") or ""
    reason = f"政策判定：{route}。{explanation}".strip()
    if route == "self_managed":
        reason = f"建设单位自行管理：建设单位即为本项目的审批者，无需审核。{explanation}".strip()
    decision = {
        "decision_id": data.get("decision_id"),
        "route": route,
        "provisional": data.get("provisional"),
        "policy": data.get("policy"),
        "article": data.get("article"),
        "explanation": explanation,
    }
    await _drive(session, event, lifecycle.DECIDED, route=route, reason=reason, decision=decision)


async def on_decision_failed(session: AsyncSession, event: Event) -> None:
    problem = event.data.get("problem") or {}
    reason = f"政策判定未能完成，退回草稿：{problem.get('detail') or problem.get('title')}"
    await _drive(session, event, lifecycle.DECISION_FAILED, reason=reason, problem=dict(problem))


def _review(trigger: str) -> EventHandler:
    async def handle(session: AsyncSession, event: Event) -> None:
        reason = event.data.get("reason") or event.data.get("opinion")
        await _drive(session, event, trigger, reason=str(reason) if reason else None)

    handle.__name__ = f"on_{trigger.split('.')[-2]}"
    return handle


HANDLERS: Mapping[str, EventHandler] = {
    lifecycle.DECIDED: on_decided,
    lifecycle.DECISION_FAILED: on_decision_failed,
    lifecycle.APPROVED: _review(lifecycle.APPROVED),
    lifecycle.FILED: _review(lifecycle.FILED),
    lifecycle.REJECTED: _review(lifecycle.REJECTED),
    lifecycle.RETURNED: _review(lifecycle.RETURNED),
    lifecycle.TERMINATION_FILED: _review(lifecycle.TERMINATION_FILED),
    # Construction, acceptance and operation: the budget and acceptance services own them.
    **{
        trigger: _review(trigger)
        for trigger in (
            lifecycle.PROCUREMENT_STARTED,
            lifecycle.CONTRACTED,
            lifecycle.COMPLETED,
            lifecycle.ACCEPTANCE_REQUESTED,
            lifecycle.ACCEPTED,
            lifecycle.ACCEPTANCE_RETURNED,
            lifecycle.OPERATING,
            lifecycle.EVALUATED,
            lifecycle.DECOMMISSIONED,
        )
    },
}
SUBJECTS: tuple[str, ...] = (
    "govproj.*.approval.project.>",
    "govproj.*.budget.project.>",
    "govproj.*.acceptance.project.>",
)
