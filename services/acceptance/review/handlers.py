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
    """``govproj.archive.acceptance.passed.v1`` / ``failed.v1``: the item follows the latest,
    in the open review or, once it passed, in the review the acceptance rests on."""
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
    # 坡头 第二十三条 "未进行档案验收或者档案验收不合格的，不得通过项目验收" gates the
    # acceptance, not the review before it: a 档案验收 decided after the review passed
    # still counts, so the passed review the acceptance will rest on follows it too.
    review = await repository.open_review(session, project.id)
    if review is None and project.state == "acceptance_review":
        review = await repository.last_passed(session, project)
    if review is not None:
        review.items = [apply_archive(item, project.archive_acceptance) for item in review.items]
