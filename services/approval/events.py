"""Events the approval service consumes besides the tenant tree (every service consumes those).

- ``govproj.registry.project.submitted.v1`` → the policy decision
  (:mod:`services.approval.decisions`), which publishes
  ``govproj.approval.project.decided.v1`` or ``project.decision_failed.v1``.
"""

from __future__ import annotations

from collections.abc import Mapping

from libs.common.service import EventHandler
from services.approval.decisions import on_submitted

PUBLISHES = (
    "govproj.approval.project.decided.v1",
    "govproj.approval.project.decision_failed.v1",
)
HANDLERS: Mapping[str, EventHandler] = {
    "govproj.registry.project.submitted.v1": on_submitted,
}
SUBJECTS: tuple[str, ...] = ("govproj.*.registry.project.>",)
