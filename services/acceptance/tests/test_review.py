"""The pre-acceptance review: the archive's decision alone ticks its item."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict
from services.acceptance.completion import repository as records
from services.acceptance.completion import service as completion
from services.acceptance.models import Review
from services.acceptance.review import service
from services.acceptance.tests.support.feed import (
    LAIZHOU,
    actor,
    deliver,
    document,
    event,
    laizhou_project,
    project,
    subject,
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


async def archive_decides(db: AsyncSession, pid: uuid.UUID, outcome: str) -> None:
    """The archive's 档案验收 of the project, as its event reaches acceptance."""
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
        await archive_decides(db, pid, outcome)
        item = await archive_item()
        assert item["satisfied"] is satisfied and item["archive_outcome"] == outcome


async def test_archive_acceptance_after_a_passed_review_counts_for_the_acceptance(
    db: AsyncSession,
) -> None:
    """坡头 第二十三条 gates the acceptance, not the review before it: a 档案验收 that
    passes after the review passed lets the acceptance pass, and one that fails after
    it stops the acceptance again; the checklist the unit reads says so each time."""
    pid = await laizhou_project(db, amount=800_000)
    copy = await project(db, pid)
    await completion.declare_completion(
        db, copy, completed_on=date(2024, 3, 4), note=None, actor=actor()
    )
    # Only the archive item: the review's own items are another test's subject.
    copy.decision = {**(copy.decision or {}), "requirements": [ARCHIVE_REQUIREMENT]}
    review = await service.request_review(db, copy, note=None, actor=actor())
    await service.pass_review(db, copy, review, "材料齐全", actor())
    report = await document(db, pid, "acceptance_report")

    async def hold() -> str:
        copy = await project(db, pid)
        await completion.record_acceptance(
            db,
            copy,
            subject(),
            outcome="passed",
            held_on=date(2024, 6, 1),
            report_document_id=report,
            expert_opinions=[{"name": "赵专家", "opinion": "同意", "conclusion": "pass"}],
            conclusion="同意通过验收",
            actor=actor(),
        )
        return copy.state

    async def archive(outcome: str) -> dict[str, Any]:
        await archive_decides(db, pid, outcome)
        record = await records.record(db, await project(db, pid))
        (item,) = [i for i in record.checklist if i.code == "archive_acceptance"]
        return item.model_dump()

    with pytest.raises(Conflict) as refused:
        await hold()
    assert refused.value.code == "checklist_incomplete" and "第二十三条" in str(
        refused.value.detail
    )
    assert (await archive("passed"))["satisfied"] is True
    assert (await archive("failed"))["satisfied"] is False
    with pytest.raises(Conflict):
        await hold()
    assert (await project(db, pid)).state == "acceptance_review"
    assert (await archive("passed"))["satisfied"] is True
    assert await hold() == "accepted"
