"""Events the budget service publishes and consumes (besides the tenant tree).

Consumes the approval service's project outcomes (:mod:`services.budget.projects`):
``project.decided.v1`` (decision + facts), ``project.approved.v1``, ``filed.v1``,
``rejected.v1``, ``returned.v1``.

Publishes (each names its actor in ``ce-actor``): ``project.procurement_started.v1``
and ``project.contracted.v1`` (the registry moves the project on both).
"""

from __future__ import annotations

from collections.abc import Mapping

from libs.common.service import EventHandler
from services.budget import projects

PUBLISHES = (
    "govproj.budget.project.procurement_started.v1",
    "govproj.budget.project.contracted.v1",
)
HANDLERS: Mapping[str, EventHandler] = {
    "govproj.approval.project.decided.v1": projects.on_decided,
    "govproj.approval.project.approved.v1": projects.on_outcome("approved"),
    "govproj.approval.project.filed.v1": projects.on_outcome("filed"),
    "govproj.approval.project.rejected.v1": projects.on_outcome("rejected"),
    "govproj.approval.project.returned.v1": projects.on_outcome("returned"),
}
SUBJECTS: tuple[str, ...] = ("govproj.*.approval.project.>",)
