"""The decision on a submission: judged by the pack in force on its submitted_on (no HTTP).

One decision per submission (a redelivered event finds it and does nothing),
stored with the pack's id and SHA-256, announced with
``govproj.approval.project.decided.v1`` (the whole decision and the facts it
judged), and the review it prescribes opens in the same transaction. When the
facts do not satisfy the pack, or no pack is in force, the registry hears
``project.decision_failed.v1`` with the problem and returns the project to draft.

Inputs besides the submitted facts (an exception the bureau granted, a
parameter it set) join through :class:`DecisionInput`: each adds facts before
the pack validates them, so the stored facts are exactly what was judged.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import system_actor
from libs.policy import FactsError, NoPolicyInForce, Pack, PolicyRegistry, evaluate, validate_facts
from services.approval.decisions import repository
from services.approval.discretion.service import bureau_inputs
from services.approval.models import Decision
from services.approval.workflow.publish import announce
from services.approval.workflow.service import open_workflow

ACTOR: Final = "approval.policy"


@dataclass(frozen=True, slots=True)
class Submission:
    """What the registry submitted: the project, its facts and the day that picks the pack."""

    tenant: str
    project_id: uuid.UUID
    submission: int
    submitted_on: date
    facts: Mapping[str, Any]
    project_name: str
    unit_id: str | None
    amount: int
    source_event_id: str


#: Facts a decision takes into account besides the submitted ones (none by default): an
#: async function of the session, the submission and the pack in force.
DecisionInput = Callable[[AsyncSession, Submission, Pack], Awaitable[Mapping[str, Any]]]


class DecisionFailed(Exception):
    """The submission cannot be judged; ``problem`` is what the registry shows the unit."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail") or problem["code"])
        self.problem = problem


def _pack_for(policies: PolicyRegistry, submission: Submission) -> Pack:
    try:
        return policies.pack_for(submission.tenant, submission.submitted_on)
    except NoPolicyInForce as exc:
        raise DecisionFailed(
            {
                "code": "no_policy_in_force",
                "title": "无适用的政策",
                "detail": str(exc),
                "date": submission.submitted_on.isoformat(),
            }
        ) from exc


async def _facts(
    session: AsyncSession,
    submission: Submission,
    pack: Pack,
    inputs: Sequence[DecisionInput],
) -> dict[str, Any]:
    raw = dict(submission.facts)
    for extra in inputs:
        raw.update(await extra(session, submission, pack))
    return raw


async def decide(
    session: AsyncSession,
    submission: Submission,
    *,
    policies: PolicyRegistry,
    inputs: Sequence[DecisionInput] = (),
) -> Decision | None:
    """Judge, store and announce the decision, and open its review; None when decided before.

    Raises :class:`DecisionFailed` when the submission cannot be judged.
    """
    tenant, on = submission.tenant, submission.submitted_on
    pack = _pack_for(policies, submission)
    # The authority's parameters in force on submitted_on, and its exceptions (issue 17).
    pack, exceptions = await bureau_inputs(
        session, tenant=tenant, project_id=submission.project_id, on=on, pack=pack
    )
    raw = await _facts(session, submission, pack, inputs)
    try:
        facts = validate_facts(pack, raw)
    except FactsError as exc:
        raise DecisionFailed(
            {
                "code": "invalid_facts",
                "title": "项目事实不合法",
                "detail": str(exc),
                "field": f"facts.{exc.field}",
            }
        ) from exc
    decision = evaluate(pack, facts, on, exceptions=exceptions)
    body: dict[str, Any] = decision.model_dump(mode="json")
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "tenant_id": tenant,
        "project_id": submission.project_id,
        "submission": submission.submission,
        "submitted_on": on,
        "route": decision.route.code,
        "provisional": decision.provisional,
        "policy_id": decision.policy.id,
        "policy_sha256": decision.policy.sha256,
        "decision": body,
        "facts": raw,
        "source_event_id": submission.source_event_id,
        "decided_at": datetime.now(UTC),
    }
    # One decision per submission: a redelivered event (or a concurrent delivery)
    # finds the row and does nothing more, so it never opens a second workflow.
    if not await repository.insert_once(session, values):
        return None
    row = Decision(**values)
    actor: dict[str, Any] = dict(system_actor(ACTOR, tenant))
    await announce(
        session,
        tenant=tenant,
        aggregate="project",
        event="decided",
        actor=actor,
        project_id=str(submission.project_id),
        submission=submission.submission,
        decision_id=str(row.id),
        route=decision.route.code,
        article=decision.route.article,
        explanation=decision.route.explanation,
        provisional=decision.provisional,
        policy=body["policy"],
        # The whole decision and the facts it judged: budget and acceptance keep
        # their own copies (requirements, time limits, amounts) from this event.
        decision=body,
        facts=raw,
    )
    # The review the decision prescribes opens in the same transaction.
    await open_workflow(
        session,
        decision=row,
        project_name=submission.project_name,
        unit_id=submission.unit_id,
        amount=int(raw.get("amount") or submission.amount or 0),
        actor=actor,
    )
    return row
