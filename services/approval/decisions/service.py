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

from libs.common.db import unevented
from libs.common.events import system_actor
from libs.policy import Decision as PolicyDecision
from libs.policy import FactsError, NoPolicyInForce, Pack, PolicyRegistry, evaluate, validate_facts
from libs.policy.bind import bind_in_force
from libs.policy.parameters import Exemption
from services.approval.decisions import repository
from services.approval.discretion.service import exceptions_for, settings_of
from services.approval.models import Decision, Step, Workflow
from services.approval.workflow.publish import announce
from services.approval.workflow.repository import insert_reviews
from services.approval.workflow.service import announce_review, plan_review

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


@dataclass(frozen=True, slots=True)
class Decided:
    """A decision stored with the review it prescribes (stored too), not yet announced."""

    row: Decision
    judged: PolicyDecision
    workflow: Workflow
    steps: list[Step]
    actor: dict[str, Any]


#: What became of one submission: decided now, decided before (None), or not judged.
Outcome = Decided | DecisionFailed | None


async def _judge(
    session: AsyncSession,
    submission: Submission,
    pack: Pack,
    exceptions: Mapping[str, Exemption],
    inputs: Sequence[DecisionInput],
) -> tuple[dict[str, Any], PolicyDecision]:
    """The decision's row and the pack's decision; raises :class:`DecisionFailed`."""
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
    on = submission.submitted_on
    decision = evaluate(pack, facts, on, exceptions=exceptions)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "tenant_id": submission.tenant,
        "project_id": submission.project_id,
        "submission": submission.submission,
        "submitted_on": on,
        "route": decision.route.code,
        "provisional": decision.provisional,
        "policy_id": decision.policy.id,
        "policy_sha256": decision.policy.sha256,
        "decision": decision.model_dump(mode="json"),
        "facts": raw,
        "source_event_id": submission.source_event_id,
        "decided_at": datetime.now(UTC),
    }
    return values, decision


async def _judged(
    session: AsyncSession,
    submissions: Sequence[Submission],
    policies: PolicyRegistry,
    inputs: Sequence[DecisionInput],
) -> list[tuple[dict[str, Any], PolicyDecision] | DecisionFailed]:
    packs: list[Pack | DecisionFailed] = []
    for submission in submissions:
        try:
            packs.append(_pack_for(policies, submission))
        except DecisionFailed as failed:
            packs.append(failed)
    # The exceptions granted for every project judged, one read per tenant (issue 17).
    projects: dict[str, list[uuid.UUID]] = {}
    for submission, pack in zip(submissions, packs, strict=True):
        if not isinstance(pack, DecisionFailed):
            projects.setdefault(submission.tenant, []).append(submission.project_id)
    granted = {
        tenant: await exceptions_for(session, tenant, ids) for tenant, ids in projects.items()
    }
    judged: list[tuple[dict[str, Any], PolicyDecision] | DecisionFailed] = []
    for submission, pack in zip(submissions, packs, strict=True):
        if isinstance(pack, DecisionFailed):
            judged.append(pack)
            continue
        tenant = submission.tenant
        # The authority's parameters in force on submitted_on.
        bound = bind_in_force(pack, await settings_of(session, tenant), submission.submitted_on)
        exceptions = granted[tenant].get(submission.project_id, {})
        try:
            judged.append(await _judge(session, submission, bound, exceptions, inputs))
        except DecisionFailed as failed:
            judged.append(failed)
    return judged


async def decide_many(
    session: AsyncSession,
    submissions: Sequence[Submission],
    *,
    policies: PolicyRegistry,
    inputs: Sequence[DecisionInput] = (),
) -> list[Outcome]:
    """Judge and store the submissions' decisions and open their reviews, in a few statements.

    One outcome per submission, in order; nothing is announced yet
    (:func:`announce_decided`), so the caller emits each submission's events in
    turn, as deciding them one after another would.
    """
    judged = await _judged(session, submissions, policies, inputs)
    rows = [j[0] for j in judged if not isinstance(j, DecisionFailed)]
    # One decision per submission: a redelivered event (or a concurrent delivery)
    # finds the row and does nothing more, so it never opens a second workflow.
    stored = await repository.insert_new(session, rows)
    outcomes: list[Outcome] = []
    for submission, result in zip(submissions, judged, strict=True):
        if isinstance(result, DecisionFailed) or result[0]["id"] not in stored:
            outcomes.append(result if isinstance(result, DecisionFailed) else None)
            continue
        values, decision = result
        row = unevented(Decision, values)  # stored above by Core: no attribute events
        raw = values["facts"]
        wf, steps = plan_review(
            row,
            project_name=submission.project_name,
            unit_id=submission.unit_id,
            amount=int(raw.get("amount") or submission.amount or 0),
        )
        actor: dict[str, Any] = dict(system_actor(ACTOR, submission.tenant))
        outcomes.append(Decided(row, decision, wf, steps, actor))
    # The reviews the decisions prescribe open in the same transaction.
    await insert_reviews(
        session, [(o.workflow, o.steps) for o in outcomes if isinstance(o, Decided)]
    )
    return outcomes


async def announce_decided(session: AsyncSession, decided: Decided) -> None:
    """``project.decided`` (the whole decision and the facts it judged), then the review's events."""
    row, decision = decided.row, decided.judged
    body = row.decision
    await announce(
        session,
        tenant=row.tenant_id,
        aggregate="project",
        event="decided",
        actor=decided.actor,
        project_id=str(row.project_id),
        submission=row.submission,
        decision_id=str(row.id),
        route=decision.route.code,
        article=decision.route.article,
        explanation=decision.route.explanation,
        provisional=decision.provisional,
        policy=body["policy"],
        # The whole decision and the facts it judged: budget and acceptance keep
        # their own copies (requirements, time limits, amounts) from this event.
        decision=body,
        facts=row.facts,
    )
    await announce_review(session, decided.workflow, decided.steps, decided.actor)


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
    [outcome] = await decide_many(session, [submission], policies=policies, inputs=inputs)
    if isinstance(outcome, DecisionFailed):
        raise outcome
    if outcome is None:
        return None
    await announce_decided(session, outcome)
    return outcome.row
