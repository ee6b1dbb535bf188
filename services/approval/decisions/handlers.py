"""``govproj.registry.project.submitted.v1`` → the decision and the review it prescribes.

A submission that cannot be judged (an incomplete event, facts the pack
refuses, no pack in force) is answered with
``govproj.approval.project.decision_failed.v1``: the registry returns the
project to draft and shows the problem, so the event is consumed, not rejected.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import BatchHandler, Event, consumed, system_actor
from libs.common.policies import policies_in
from libs.common.settings import service_settings
from services.approval.decisions.service import (
    ACTOR,
    DecisionFailed,
    Submission,
    announce_decided,
    decide_many,
)
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


async def _on_submitted(session: AsyncSession, events: Sequence[Event]) -> None:
    """Decide on a run of submitted projects, once per submission: their exceptions read
    once, their decisions, workflows and steps stored in one statement each, then each
    submission's events in turn (as one handler call per event would emit them)."""
    parsed: list[Submission | DecisionFailed] = []
    for event in events:
        try:
            parsed.append(_submission(event))
        except DecisionFailed as failed:
            parsed.append(failed)
    submissions = [p for p in parsed if isinstance(p, Submission)]
    decided = iter(await decide_many(session, submissions, policies=policies_in(_policies_dir())))
    for event, item in zip(events, parsed, strict=True):
        outcome = item if isinstance(item, DecisionFailed) else next(decided)
        with consumed(event):
            if isinstance(outcome, DecisionFailed):
                await _failed(session, event, outcome.problem)
            elif outcome is not None:
                await announce_decided(session, outcome)


on_submitted = BatchHandler(_on_submitted)
"""Decide on a submitted project, once per submission (a run of them at once)."""
