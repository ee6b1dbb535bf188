"""The project events the registry consumes: other services' decisions drive its lifecycle.

Each event drives one transition of the state machine (:mod:`.lifecycle`),
recorded in the project's history with the event's id. An event the registry
cannot apply — no project id, a project it does not hold in the event's
tenant, a transition the machine does not allow (a repeated or crossed
decision), a submission it never made — is rejected with the reason: the
consumer dead-letters it and nothing changes. A decision on an earlier submission is expected (the unit
resubmitted meanwhile) and is skipped without changing anything.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event, Reject
from libs.common.service import EventHandler
from libs.vocab import label
from services.registry.projects import lifecycle, repository, service

log = logging.getLogger(__name__)


class EarlyEvent(Exception):
    """The event fits a later state of the project than the one it is in: retry, don't reject."""


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
        raise Reject(f"project_id: {data.get('project_id')!r} 不是有效的项目编号") from None
    project = await repository.get_for_update(session, project_id)
    if project is None or project.tenant_id != event.tenant:
        raise Reject(f"project_id: 辖区 {event.tenant} 没有项目 {project_id}")
    submission = data.get("submission")
    if submission is not None:
        if not isinstance(submission, int) or submission > project.submission:
            raise Reject(
                f"submission: 项目 {project_id} 只申报了 {project.submission} 次，"
                f"收到第 {submission!r} 次申报的判定"
            )
        if submission < project.submission:
            # The unit resubmitted meanwhile: this answer is to a question nobody asks now.
            log.info("%s for an earlier submission of %s skipped", event.type, project_id)
            return
    transition = lifecycle.find(project.state, trigger, route)
    if transition is None and lifecycle.awaits_precursor(project.state, trigger):
        # Retried with the runner's backoff; dead-lettered after max_deliver if it never fits.
        raise EarlyEvent(
            f"{event.type} 早于其前序事件到达：项目 {project_id} 仍处于 {project.state}"
        )
    if transition is None:
        state = lifecycle.label(project.state)
        raise Reject(
            f"state: 项目 {project_id} 处于「{state}」（{project.state}），"
            f"不能由 {event.type}" + (f"（route={route}）" if route else "") + " 转换"
        )
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
    """The policy decision routes a submitted project (approval service)."""
    data = event.data
    route = data.get("route")
    if not isinstance(route, str) or not route:
        raise Reject(f"route: 判定事件缺少管理方式（收到 {route!r}）")
    explanation = data.get("explanation") or ""
    reason = f"政策判定：{label('route', route)}。{explanation}".strip()
    if route == "self_managed":
        reason = f"建设单位自行管理：建设单位即为本项目的审批者，无需审核。{explanation}".strip()
    decision = {
        "decision_id": data.get("decision_id"),
        "route": route,
        "provisional": data.get("provisional"),
        "policy": data.get("policy"),
        "article": data.get("article"),
        "explanation": explanation,
        # The dated limits, so the oversight dashboard finds the overdue in SQL (oversight/).
        "time_limits": [
            {k: t.get(k) for k in ("code", "date", "article")}
            for t in (data.get("decision") or {}).get("time_limits") or []
            if isinstance(t, dict)
        ],
    }
    await _drive(session, event, lifecycle.DECIDED, route=route, reason=reason, decision=decision)


async def on_decision_failed(session: AsyncSession, event: Event) -> None:
    """The decision could not be made: the project goes back to its unit as a draft."""
    problem = event.data.get("problem") or {}
    if not isinstance(problem, dict):
        raise Reject(f"problem: 应为对象，收到 {type(problem).__name__}")
    reason = f"政策判定未能完成，退回草稿：{problem.get('detail') or problem.get('title')}"
    await _drive(session, event, lifecycle.DECISION_FAILED, reason=reason, problem=dict(problem))


def on_transition(trigger: str) -> EventHandler:
    """A handler for an event that drives ``trigger``'s transition, with its reason if any."""

    async def handle(session: AsyncSession, event: Event) -> None:
        reason = event.data.get("reason") or event.data.get("opinion")
        await _drive(session, event, trigger, reason=str(reason) if reason else None)

    handle.__name__ = f"on_{trigger.split('.')[-2]}"
    return handle
