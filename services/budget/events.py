"""The budget service's events: the consumers' handler tables and the types it publishes.

Consumes, from the platform (GOVPROJ stream, durable ``budget``):

- ``registry.project.submitted.v1`` and the approval service's project outcomes
  and changes → the project replica (:mod:`services.budget.replica`);
- ``archive.document.uploaded|attached|deleted.v1`` → the document replica that
  references are checked against (:mod:`services.budget.replica`);
- ``approval.step.opened.v1`` / ``completed.v1`` of the ``finance_review`` step →
  a review request for the finance system, or its closing
  (:mod:`services.budget.finance.handlers`).

Consumes, from the finance system (FINANCE stream, ``finance.<tenant>.>``, durable
``budget_finance``): review answers, budget arrangement notices and payments,
each checked against its JSON Schema (:mod:`services.budget.finance.contract`).
A handler rejects what is wrong (``Reject`` or a domain error): the consumer
runner dead-letters it with the reason and nothing changes.

Publishes (each names its actor; :mod:`services.budget.outbox`): ``PUBLISHES``,
every one on the contract with its schema and listed in docs/asyncapi.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping

from libs.common.documents import DOCUMENT_EVENT_TYPES, DOCUMENT_SUBJECT
from libs.common.service import EventHandler, ExtraConsumer
from services.budget import replica
from services.budget.finance import contract
from services.budget.finance import handlers as finance
from services.budget.usage import handlers as usage

__all__ = ["CONSUMERS", "FINANCE_CONSUMER", "FINANCE_HANDLERS", "HANDLERS", "PUBLISHES", "SUBJECTS"]

PUBLISHES = tuple(m.type for m in contract.MESSAGES if m.type.startswith("govproj."))
HANDLERS: Mapping[str, EventHandler] = {
    "govproj.registry.project.submitted.v1": replica.on_submitted,
    "govproj.approval.project.decided.v1": replica.on_decided,
    "govproj.approval.project.approved.v1": replica.on_outcome("approved"),
    "govproj.approval.project.filed.v1": replica.on_outcome("filed"),
    "govproj.approval.project.rejected.v1": replica.on_outcome("rejected"),
    "govproj.approval.project.returned.v1": replica.on_outcome("returned"),
    "govproj.approval.change.filed.v1": replica.on_change,
    "govproj.approval.change.approved.v1": replica.on_change,
    **dict.fromkeys(DOCUMENT_EVENT_TYPES, replica.on_document),
    "govproj.approval.step.opened.v1": finance.on_step_opened,
    "govproj.approval.step.completed.v1": finance.on_step_completed,
}
SUBJECTS: tuple[str, ...] = (
    "govproj.*.registry.project.submitted",
    "govproj.*.approval.project.>",
    "govproj.*.approval.step.opened",
    "govproj.*.approval.step.completed",
    "govproj.*.approval.change.filed",
    "govproj.*.approval.change.approved",
    DOCUMENT_SUBJECT,
)

FINANCE_CONSUMER = "budget_finance"
# Only finance's own types: this consumer reads ``finance.*.>`` and nothing else (the
# registry's ``project.submitted`` once listed here could never arrive on it).
FINANCE_HANDLERS: Mapping[str, EventHandler] = {
    "finance.budget.review.answered.v1": finance.on_answered,
    "finance.budget.arrangement.notified.v1": finance.on_arrangement,
    "finance.budget.payment.disbursed.v1": usage.on_payment_disbursed,
}
CONSUMERS = (
    ExtraConsumer(
        durable=FINANCE_CONSUMER,
        stream="FINANCE",
        subjects=("finance.*.>",),
        handlers=FINANCE_HANDLERS,
    ),
)
