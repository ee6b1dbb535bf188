"""Events the approval service consumes besides the tenant tree (every service consumes those).

- ``govproj.registry.project.submitted.v1`` → the policy decision and the
  workflow it prescribes (:mod:`services.approval.decisions`,
  :mod:`services.approval.workflow.service`).
- ``govproj.budget.finance_review.completed.v1`` → the finance step's opinion
  (:mod:`services.approval.workflow.finance`).
- ``govproj.budget.project.procurement_started.v1`` → the approval was acted
  on and no longer expires (:mod:`services.approval.workflow.expiry`).
- ``govproj.archive.document.*`` → the replica of archive documents that
  opinions cite as attachments (:mod:`libs.common.documents`).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.documents import DOCUMENT_EVENT_TYPES, DOCUMENT_SUBJECT, apply_document_event
from libs.common.events import Event
from libs.common.service import EventHandler
from services.approval.decisions import on_submitted
from services.approval.models import documents
from services.approval.workflow.expiry import on_procurement_started
from services.approval.workflow.finance import on_finance_review_completed

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
)


async def on_document(session: AsyncSession, event: Event) -> None:
    await apply_document_event(session, documents, event)


HANDLERS: Mapping[str, EventHandler] = {
    **dict.fromkeys(DOCUMENT_EVENT_TYPES, on_document),
    "govproj.registry.project.submitted.v1": on_submitted,
    "govproj.budget.finance_review.completed.v1": on_finance_review_completed,
    "govproj.budget.project.procurement_started.v1": on_procurement_started,
}
SUBJECTS: tuple[str, ...] = (
    "govproj.*.registry.project.>",
    "govproj.*.budget.finance_review.>",
    "govproj.*.budget.project.procurement_started",
    DOCUMENT_SUBJECT,
)
