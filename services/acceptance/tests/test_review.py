"""The pre-acceptance review: the archive's decision alone ticks its item."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.acceptance.completion import service as completion
from services.acceptance.models import Review
from services.acceptance.review import service
from services.acceptance.tests.support.feed import (
    LAIZHOU,
    actor,
    deliver,
    event,
    laizhou_project,
    project,
)

#: 坡头 第二十三条 "未进行档案验收或者档案验收不合格的，不得通过项目验收".
ARCHIVE_REQUIREMENT = {
    "code": "archive_acceptance",
    "mandatory": True,
    "stage": "acceptance",
    "actor": "unit_officer",
    "authority": None,
    "order": 1,
    "article": "第二十三条",
    "explanation": "未进行档案验收或者档案验收不合格的，不得通过项目验收。",
}


async def test_archive_outcomes_tick_and_untick_the_open_review(db: AsyncSession) -> None:
    pid = await laizhou_project(db)
    copy = await project(db, pid)
    await completion.declare_completion(
        db, copy, completed_on=date(2024, 3, 4), note=None, actor=actor()
    )
    decision = copy.decision or {}
    copy.decision = {**decision, "requirements": [*decision["requirements"], ARCHIVE_REQUIREMENT]}
    await service.request_review(db, copy, note=None, actor=actor())

    async def archive_item() -> dict[str, Any]:
        row = (
            await db.scalars(
                sa.select(Review)
                .where(Review.project_id == pid)
                .execution_options(populate_existing=True)
            )
        ).one()
        (item,) = [i for i in row.items if i["code"] == "archive_acceptance"]
        return item

    assert (await archive_item())["satisfied"] is False
    for outcome, satisfied in (("passed", True), ("failed", False), ("passed", True)):
        await deliver(
            db,
            event(
                LAIZHOU,
                "archive",
                "acceptance",
                outcome,
                project_id=str(pid),
                acceptance_id=str(uuid.uuid4()),
                package_id=str(uuid.uuid4()),
                outcome=outcome,
            ),
        )
        await db.flush()
        item = await archive_item()
        assert item["satisfied"] is satisfied and item["archive_outcome"] == outcome
