"""The lifecycle of a project (vocabulary.md) as an explicit state machine.

Every allowed transition is one row of :data:`TRANSITIONS`: from, to and the
trigger that drives it. A trigger is either an event type (another service's
decision, consumed from NATS) or a registry action named ``registry:<verb>``
(a user's request; the registry emits its own event for it). Anything not in
the table is illegal: the API answers 409, the consumer rejects the event
(dead letter with the reason); either way nothing changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from libs.common.errors import Conflict
from libs.vocab import STATE_LABELS

# The codes and labels are vocabulary.md's (libs/vocab); the machine below is the registry's.
STATES: Final[Mapping[str, str]] = STATE_LABELS

SUBMIT = "registry:submit"
TERMINATE = "registry:terminate"
DECIDED = "govproj.approval.project.decided.v1"
DECISION_FAILED = "govproj.approval.project.decision_failed.v1"
APPROVED = "govproj.approval.project.approved.v1"
FILED = "govproj.approval.project.filed.v1"
REJECTED = "govproj.approval.project.rejected.v1"
RETURNED = "govproj.approval.project.returned.v1"
# 郁南 第二十条: the unit files the termination of its contract (approval service).
TERMINATION_FILED = "govproj.approval.project.terminated.v1"
# Later stages: the services that own them publish these (issues of budget and acceptance).
PROCUREMENT_STARTED = "govproj.budget.project.procurement_started.v1"
CONTRACTED = "govproj.budget.project.contracted.v1"
COMPLETED = "govproj.acceptance.project.completed.v1"
ACCEPTANCE_REQUESTED = "govproj.acceptance.project.review_requested.v1"
ACCEPTED = "govproj.acceptance.project.accepted.v1"
ACCEPTANCE_RETURNED = "govproj.acceptance.project.review_returned.v1"
OPERATING = "govproj.acceptance.project.in_operation.v1"
EVALUATED = "govproj.acceptance.project.evaluated.v1"
DECOMMISSIONED = "govproj.acceptance.project.decommissioned.v1"


@dataclass(frozen=True, slots=True)
class Transition:
    source: str
    target: str
    trigger: str
    # For ``decided``: the routes that lead here (the decision's route picks the row).
    routes: frozenset[str] = frozenset()


def label(state: str) -> str:
    """The state's name in Chinese (the code itself for a state this code does not know)."""
    return STATES.get(state, state)


def _t(source: str, target: str, trigger: str, *routes: str) -> Transition:
    return Transition(source, target, trigger, frozenset(routes))


TRANSITIONS: Final[tuple[Transition, ...]] = (
    _t("draft", "submitted", SUBMIT),
    # The decision loop (approval service): a facts problem returns the project to its unit.
    _t("submitted", "draft", DECISION_FAILED),
    _t("submitted", "under_review", DECIDED, "approval", "filing", "government_investment"),
    # 建设单位自行管理: the unit is its own approver, nothing to review.
    _t("submitted", "approved", DECIDED, "self_managed"),
    _t("submitted", "rejected", DECIDED, "ineligible"),
    _t("submitted", "out_of_scope", DECIDED, "out_of_scope", "classified_rules"),
    # The review (approval service).
    _t("under_review", "approved", APPROVED),
    _t("under_review", "filed", FILED),
    _t("under_review", "rejected", REJECTED),
    _t("under_review", "draft", RETURNED),
    # Construction, acceptance and operation (budget and acceptance services).
    _t("approved", "procuring", PROCUREMENT_STARTED),
    _t("filed", "procuring", PROCUREMENT_STARTED),
    _t("procuring", "implementing", CONTRACTED),
    _t("implementing", "completed", COMPLETED),
    _t("completed", "acceptance_review", ACCEPTANCE_REQUESTED),
    _t("acceptance_review", "completed", ACCEPTANCE_RETURNED),
    _t("acceptance_review", "accepted", ACCEPTED),
    _t("accepted", "in_operation", OPERATING),
    _t("in_operation", "evaluated", EVALUATED),
    _t("in_operation", "decommissioned", DECOMMISSIONED),
    _t("evaluated", "decommissioned", DECOMMISSIONED),
    # 已终止: the bureau ends a project that has not been completed.
    *(
        _t(s, "terminated", TERMINATE)
        for s in ("under_review", "approved", "filed", "procuring", "implementing")
    ),
    *(
        _t(s, "terminated", TERMINATION_FILED)
        for s in ("approved", "filed", "procuring", "implementing")
    ),
)

TRIGGERS: Final[frozenset[str]] = frozenset(t.trigger for t in TRANSITIONS)
# A draft is the only state whose content the unit may edit.
EDITABLE: Final[frozenset[str]] = frozenset({"draft"})


def find(source: str, trigger: str, route: str | None = None) -> Transition | None:
    """The transition ``trigger`` drives from ``source`` (for ``route``), or None when illegal."""
    for t in TRANSITIONS:
        if t.source == source and t.trigger == trigger and (not t.routes or route in t.routes):
            return t
    return None


# Edges that move a project back or end it: an event waiting for its precursor
# never needs one of them, and the registry's own actions (``registry:*``) are
# applied when they are asked for, so none of them is ever still on its way.
_RETREATS: Final[frozenset[str]] = frozenset(
    {DECISION_FAILED, RETURNED, ACCEPTANCE_RETURNED, TERMINATION_FILED}
)


def awaits_precursor(source: str, trigger: str) -> bool:
    """Whether ``trigger`` would apply once other services' events move ``source`` forward.

    Events of different services travel on different subjects, and a message
    redelivered after a crash comes after ones published later: the
    acceptance service's ``review_requested`` may reach the registry before
    its ``completed``. Such an event is early, not wrong — it is retried
    rather than dead-lettered.
    """
    targets = {t.source for t in TRANSITIONS if t.trigger == trigger}
    seen, frontier = {source}, [source]
    while frontier:
        state = frontier.pop()
        for t in TRANSITIONS:
            if (
                t.source == state
                and t.target not in seen
                and t.trigger not in _RETREATS
                and not t.trigger.startswith("registry:")
            ):
                if t.target in targets:
                    return True
                seen.add(t.target)
                frontier.append(t.target)
    return False


def require(source: str, trigger: str, route: str | None = None) -> Transition:
    """Like :func:`find`, but an illegal transition is a 409 problem."""
    t = find(source, trigger, route)
    if t is None:
        raise Conflict(
            "illegal_transition",
            "当前状态不允许此操作",
            f"state: 项目处于「{label(source)}」（{source}），不能执行 {trigger}",
        )
    return t
