"""Events the budget service publishes and consumes (besides the tenant tree).

Consumes, from the platform (GOVPROJ stream):

- ``registry.project.submitted.v1``: the project and its 建设单位 (unit_id);
- the approval service's project outcomes (:mod:`services.budget.projects`):
  ``project.decided.v1`` (decision + facts), ``approved.v1``, ``filed.v1``,
  ``rejected.v1``, ``returned.v1``;
- ``approval.step.opened.v1`` with ``code == finance_review`` → a review request
  for the finance system (:mod:`services.budget.finance.review`);
  ``approval.step.completed.v1`` of that step decided by hand closes it.

Consumes, from the finance system (FINANCE stream, ``finance.<tenant>.>``, durable
``budget_finance``): review answers, budget arrangement notices (预算安排情况通报)
and payments; each is validated against its JSON Schema
(:mod:`services.budget.finance.contract`) and dead-lettered with a reason when
it does not hold.

Publishes (each names its actor in ``ce-actor``): see ``PUBLISHES``; every one
is on the contract with its schema, and docs/asyncapi.yaml lists them.
"""

from __future__ import annotations

from collections.abc import Mapping

from libs.common.service import EventHandler, ExtraConsumer
from services.budget import projects, usage
from services.budget.finance import contract, review

PUBLISHES = tuple(m.type for m in contract.MESSAGES if m.type.startswith("govproj."))
HANDLERS: Mapping[str, EventHandler] = {
    "govproj.registry.project.submitted.v1": projects.on_submitted,
    "govproj.approval.project.decided.v1": projects.on_decided,
    "govproj.approval.project.approved.v1": projects.on_outcome("approved"),
    "govproj.approval.project.filed.v1": projects.on_outcome("filed"),
    "govproj.approval.project.rejected.v1": projects.on_outcome("rejected"),
    "govproj.approval.project.returned.v1": projects.on_outcome("returned"),
    "govproj.approval.step.opened.v1": review.on_step_opened,
    "govproj.approval.step.completed.v1": review.on_step_completed,
    "govproj.approval.change.filed.v1": projects.on_change,
    "govproj.approval.change.approved.v1": projects.on_change,
}
SUBJECTS: tuple[str, ...] = (
    "govproj.*.registry.project.submitted",
    "govproj.*.approval.project.>",
    "govproj.*.approval.step.opened",
    "govproj.*.approval.step.completed",
    "govproj.*.approval.change.filed",
    "govproj.*.approval.change.approved",
)

FINANCE_HANDLERS: Mapping[str, EventHandler] = {
    "govproj.registry.project.submitted.v1": projects.on_submitted,
    "finance.budget.review.answered.v1": review.on_answered,
    "finance.budget.arrangement.notified.v1": review.on_arrangement,
    "finance.budget.payment.disbursed.v1": usage.on_payment_disbursed,
}
CONSUMERS = (
    ExtraConsumer(
        durable=review.FINANCE_CONSUMER,
        stream="FINANCE",
        subjects=("finance.*.>",),
        handlers=FINANCE_HANDLERS,
    ),
)
