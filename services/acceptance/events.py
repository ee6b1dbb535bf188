"""Events the acceptance service publishes and consumes.

Publishes (every one names its actor; ``project.*`` carry ``project_id`` and
``submission``, which the registry's lifecycle follows):

- ``govproj.acceptance.project.completed.v1``: the unit declared the project built
  (implementing → completed), with ``completed_on``;
- ``project.review_requested.v1``: the pre-acceptance review opened
  (completed → acceptance_review), with its mode, article and checklist;
- ``project.review_returned.v1``: the review, or an acceptance that failed, sent the
  project back (→ completed), with the reason;
- ``project.accepted.v1``: acceptance passed (acceptance_review → accepted);
- ``project.in_operation.v1``: 投入使用 (accepted → in_operation);
- ``project.evaluated.v1``: the self-evaluation report is in (in_operation → evaluated);
- ``review.item_updated.v1`` / ``review.passed.v1``: evidence named for a checklist
  item; the review passed;
- ``acceptance.recorded.v1``: an acceptance held (expert opinions, report, outcome);
- ``deadline.scheduled.v1`` / ``reminder.v1`` / ``overdue.v1`` / ``met.v1`` /
  ``extension_requested.v1`` / ``extension_granted.v1`` / ``extension_refused.v1``;
- ``evaluation.submitted.v1``: a self-evaluation, performance, post-evaluation or
  standard report;
- ``draw.committed.v1``: a 双随机 draw committed: the SHA-256 of its server seed, before
  the pool is fixed; ``draw.drawn.v1``: the draw made, its seed revealed, pools and picks.

Consumes: see :mod:`services.acceptance.replica`.
"""

from __future__ import annotations

from collections.abc import Mapping

from libs.common.service import EventHandler
from services.acceptance import replica
from services.acceptance.deadlines import handlers as deadline_handlers
from services.acceptance.review import handlers as review_handlers

PUBLISHES = tuple(
    f"govproj.acceptance.{name}.v1"
    for name in (
        "project.completed",
        "project.review_requested",
        "project.review_returned",
        "project.accepted",
        "project.in_operation",
        "project.evaluated",
        "review.item_updated",
        "review.passed",
        "acceptance.recorded",
        "deadline.scheduled",
        "deadline.reminder",
        "deadline.overdue",
        "deadline.met",
        "deadline.extension_requested",
        "deadline.extension_granted",
        "deadline.extension_refused",
        "evaluation.submitted",
        "draw.committed",
        "draw.drawn",
    )
)
HANDLERS: Mapping[str, EventHandler] = {
    "govproj.approval.project.decided.v1": replica.on_decided,
    "govproj.approval.project.approved.v1": replica.on_reviewed,
    "govproj.approval.project.filed.v1": replica.on_reviewed,
    "govproj.registry.project.state_changed.v1": replica.on_state_changed,
    "govproj.budget.project.contracted.v1": deadline_handlers.on_contracted,
    "govproj.archive.document.uploaded.v1": replica.on_document,
    "govproj.archive.document.attached.v1": replica.on_document,
    "govproj.archive.acceptance.passed.v1": review_handlers.on_archive_acceptance,
    "govproj.archive.acceptance.failed.v1": review_handlers.on_archive_acceptance,
}
SUBJECTS: tuple[str, ...] = (
    "govproj.*.approval.project.>",
    "govproj.*.registry.project.>",
    "govproj.*.budget.project.>",
    "govproj.*.archive.document.>",
    "govproj.*.archive.acceptance.>",
)
