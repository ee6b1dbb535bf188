"""``govproj.registry.project.submitted.v1`` → the decision and the review it prescribes.

A submission that cannot be judged (an incomplete event, facts the pack
refuses, no pack in force) is answered with
``govproj.approval.project.decision_failed.v1``: the registry returns the
project to draft and shows the problem, so the event is consumed, not rejected.
"""

from __future__ import annotations

import uuid
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event, system_actor
from libs.common.policies import policies_in
from libs.common.settings import service_settings
from services.approval.decisions.service import ACTOR, DecisionFailed, Submission, decide
from services.approval.workflow.publish import announce


def _submission(event: Event) -> Submission:
    data = event.data
    try:
        return Submission(
            tenant=event.tenant,
            project_id=uuid.UUID(str(data["project_id"])),
            submission=int(data.get("submission") or 1),
            submitted_on=date.fromisoformat(str(data["submitted_on"])),
            facts=dict(data["facts"]),
            project_name=str(data.get("name") or ""),
            unit_id=str(data["unit_id"]) if data.get("unit_id") else None,
            amount=int(data.get("amount") or 0),
            source_event_id=event.id,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise DecisionFailed(
            {"code": "invalid_event", "title": "申报事件不完整", "detail": str(exc)}
        ) from exc


async def _failed(session: AsyncSession, event: Event, problem: dict[str, Any]) -> None:
    await announce(
        session,
        tenant=event.tenant,
        aggregate="project",
        event="decision_failed",
        actor=dict(system_actor(ACTOR, event.tenant)),
        project_id=event.data.get("project_id"),
        submission=event.data.get("submission"),
        problem=problem,
        source_event_id=event.id,
    )


@cache
def _policies_dir() -> Path:
    # Reading the settings costs milliseconds; the directory never changes in a process.
    return service_settings("approval").policies_dir


async def on_submitted(session: AsyncSession, event: Event) -> None:
    """Decide on a submitted project, once per submission."""
    try:
        await decide(
            session,
            _submission(event),
            policies=policies_in(_policies_dir()),
        )
    except DecisionFailed as failed:
        await _failed(session, event, failed.problem)
