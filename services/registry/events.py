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
- ``govproj.registry.plan.demand_submitted.v1`` / ``plan.demand_excluded.v1`` /
  ``plan.demand_restored.v1`` / ``plan.consolidated.v1``: annual plans.

Consumes:

- the approval service's decisions, and the budget and acceptance services'
  project events (procurement, contract, completion, acceptance, operation,
  evaluation, decommissioning): each drives one transition of the project's
  state machine (:mod:`services.registry.projects.handlers`); one the machine
  does not allow is rejected (dead-lettered with the reason), nothing changes;
- its own tenant events, which it never applies (its table is the book of
  record): a tenant event it did not publish is rejected
  (:mod:`services.registry.tenants.handlers`);
- the archive's document events, into the replica that catalog disposals cite
  (:mod:`services.registry.replica`);
- with a second durable consumer (``registry_trail``), every platform event
  that names a project, into the auditor's trail (:mod:`services.registry.trail`,
  ADR 0011);
- with a third durable consumer (``registry_notifications``), the events that
  need a person, into the 消息中心 (:mod:`services.registry.notifications`).
"""

from __future__ import annotations

from collections.abc import Mapping

from libs.common.service import EventHandler
from libs.common.tenants import TENANT_EVENT_TYPES
from services.registry.notifications.handlers import CONSUMER as NOTIFICATIONS_CONSUMER
from services.registry.projects import lifecycle
from services.registry.projects.handlers import on_decided, on_decision_failed, on_transition
from services.registry.replica import DOCUMENT_EVENT_TYPES, DOCUMENT_SUBJECT, on_document
from services.registry.tenants.handlers import on_tenant_event
from services.registry.trail.handlers import CONSUMER as TRAIL_CONSUMER

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
    "govproj.registry.plan.demand_excluded.v1",
    "govproj.registry.plan.demand_restored.v1",
    "govproj.registry.plan.consolidated.v1",
)

HANDLERS: Mapping[str, EventHandler] = {
    # Replaces the replica handler every other service runs for these types.
    **dict.fromkeys(TENANT_EVENT_TYPES, on_tenant_event),
    **dict.fromkeys(DOCUMENT_EVENT_TYPES, on_document),
    lifecycle.DECIDED: on_decided,
    lifecycle.DECISION_FAILED: on_decision_failed,
    **{
        trigger: on_transition(trigger)
        for trigger in (
            lifecycle.APPROVED,
            lifecycle.FILED,
            lifecycle.REJECTED,
            lifecycle.RETURNED,
            lifecycle.TERMINATION_FILED,
            # Construction, acceptance and operation: the budget and acceptance services own them.
            lifecycle.PROCUREMENT_STARTED,
            lifecycle.CONTRACTED,
            lifecycle.COMPLETED,
            lifecycle.ACCEPTANCE_REQUESTED,
            lifecycle.ACCEPTED,
            lifecycle.ACCEPTANCE_RETURNED,
            lifecycle.OPERATING,
            lifecycle.EVALUATED,
            # lifecycle.DECOMMISSIONED is a transition of the state machine, but no
            # service publishes a project's decommissioning yet (acceptance has no
            # such step), so no handler waits for it.
        )
    },
}
SUBJECTS: tuple[str, ...] = (
    "govproj.*.approval.project.>",
    "govproj.*.budget.project.>",
    "govproj.*.acceptance.project.>",
    DOCUMENT_SUBJECT,
)

#: Consumers beside the main one: the auditor's trail reads the whole stream, the 消息中心
#: the events that need a person.
CONSUMERS = (TRAIL_CONSUMER, NOTIFICATIONS_CONSUMER)
