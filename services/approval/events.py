"""The events the approval service publishes, and the handlers of those it consumes.

Consumed (besides the tenant tree, which every service consumes):

- ``govproj.registry.project.submitted.v1`` → the policy decision and the
  review it prescribes (:mod:`services.approval.decisions.handlers`);
- ``govproj.budget.finance_review.completed.v1`` → the finance step's opinion
  (:mod:`services.approval.workflow.handlers`);
- ``govproj.budget.project.procurement_started.v1`` → the approval was acted
  on and no longer expires (:mod:`services.approval.documents.handlers`);
- ``govproj.registry.unit.created.v1`` → the units replica (主送机关 of the
  approval document, :mod:`services.approval.replica`);
- ``govproj.archive.document.*`` → the replica of archive documents that
  opinions cite as attachments (:mod:`services.approval.replica`).

A handler that cannot use an event raises ``Reject(reason)``: the consumer
runner dead-letters it with the reason and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from libs.common.service import EventHandler
from services.approval.decisions.handlers import on_submitted
from services.approval.documents.handlers import on_procurement_started
from services.approval.replica import (
    DOCUMENT_EVENT_TYPES,
    DOCUMENT_SUBJECT,
    UNIT_EVENT_TYPE,
    UNIT_SUBJECT,
    on_document,
    on_unit,
)
from services.approval.workflow.handlers import on_finance_review_completed

PUBLISHES = (
    "govproj.approval.project.decided.v1",
    "govproj.approval.project.decision_failed.v1",
    "govproj.approval.workflow.opened.v1",
    "govproj.approval.workflow.closed.v1",
    "govproj.approval.step.opened.v1",
    "govproj.approval.step.experts_assigned.v1",
    "govproj.approval.step.expert_opinion_recorded.v1",
    "govproj.approval.step.completed.v1",
    "govproj.approval.project.approved.v1",
    "govproj.approval.project.filed.v1",
    "govproj.approval.project.returned.v1",
    "govproj.approval.project.rejected.v1",
    "govproj.approval.project.terminated.v1",
    "govproj.approval.change.filed.v1",
    "govproj.approval.change.submitted_for_approval.v1",
    "govproj.approval.change.approved.v1",
    "govproj.approval.change.returned.v1",
    "govproj.approval.change.rejected.v1",
    "govproj.approval.report.submitted.v1",
    "govproj.approval.report.received.v1",
    "govproj.approval.approval.expired.v1",
    "govproj.approval.exception.granted.v1",
    "govproj.approval.parameter.set.v1",
)

HANDLERS: Mapping[str, EventHandler] = {
    **dict.fromkeys(DOCUMENT_EVENT_TYPES, on_document),
    "govproj.registry.project.submitted.v1": on_submitted,
    UNIT_EVENT_TYPE: on_unit,
    "govproj.budget.finance_review.completed.v1": on_finance_review_completed,
    "govproj.budget.project.procurement_started.v1": on_procurement_started,
}
SUBJECTS: tuple[str, ...] = (
    "govproj.*.registry.project.>",
    "govproj.*.budget.finance_review.>",
    "govproj.*.budget.project.procurement_started",
    DOCUMENT_SUBJECT,
    UNIT_SUBJECT,
)
