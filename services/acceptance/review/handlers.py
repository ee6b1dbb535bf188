"""The consumed event that decides the checklist's archive item: 档案验收 passed or failed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event
from services.acceptance.replica import project_for_event
from services.acceptance.review import repository
from services.acceptance.review.checklist import apply_archive
from services.acceptance.rules import now

__all__ = ["on_archive_acceptance"]


async def on_archive_acceptance(session: AsyncSession, event: Event) -> None:
    """``govproj.archive.acceptance.passed.v1`` / ``failed.v1``: the item follows the latest."""
    project = await project_for_event(session, event)
    data = event.data
    passed = data.get("outcome") == "passed" or event.type.endswith(".passed.v1")
    project.archive_acceptance = {
        "acceptance_id": data.get("acceptance_id"),
        "package_id": data.get("package_id"),
        "report_id": data.get("report_id"),
        "outcome": "passed" if passed else "failed",
        "reasons": data.get("reasons") or [],
        "decided_at": event.time.isoformat(),
        "decided_by": dict(event.actor),
    }
    project.updated_at = now()
    review = await repository.open_review(session, project.id)
    if review is not None:
        review.items = [apply_archive(item, project.archive_acceptance) for item in review.items]
