"""The 双随机 draw: committed before its pool is fixed, one per tenant and year, verifiable."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid
from services.acceptance.evaluations import draws
from services.acceptance.evaluations import service as evaluations
from services.acceptance.models import Draw
from services.acceptance.tests.support.feed import (
    LAIZHOU,
    actor,
    document,
    laizhou_project,
    project,
    subject,
)
from services.acceptance.tests.support.projects import accepted_project

BUREAU = actor("bureau_officer")
PEOPLE = ["孙专家", "李专家", "周专家", "吴专家"]


async def _commit(db: AsyncSession, *, year: int = 2025, count: int = 2) -> Draw:
    return await draws.commit_draw(
        db,
        tenant=LAIZHOU,
        year=year,
        count=count,
        evaluator_pool=PEOPLE,
        evaluator_count=2,
        actor=BUREAU,
    )


async def _payloads(db: AsyncSession, event_type: str) -> list[dict[str, object]]:
    rows = await db.execute(
        sa.text("SELECT payload FROM acceptance.outbox WHERE type = :t ORDER BY id"),
        {"t": event_type},
    )
    return [dict(r[0]) for r in rows]


async def test_the_seed_is_committed_unseen_and_the_pool_is_fixed_only_when_drawing(
    db: AsyncSession,
) -> None:
    first, second = await accepted_project(db), await accepted_project(db)
    not_yet = await laizhou_project(db)  # implementing: not in the register
    row = await _commit(db)
    shown = draws.draw_read(row)
    assert shown.status == "committed" and shown.seed is None and shown.project_pool == []
    (committed,) = await _payloads(db, "govproj.acceptance.draw.committed.v1")
    assert committed["commitment"] == row.commitment and "seed" not in committed
    # Accepted after the commitment: the register at drawing time decides, not the caller.
    later = await accepted_project(db)
    await draws.make_draw(db, row, actor=BUREAU)
    assert set(row.project_pool) == {str(first), str(second), str(later)}
    assert str(not_yet) not in row.project_pool
    assert len(row.projects) == 2 and set(row.projects) <= set(row.project_pool)
    assert row.article == "第三十四条"
    (drawn,) = await _payloads(db, "govproj.acceptance.draw.drawn.v1")
    assert drawn["seed"] == row.seed
    assert hashlib.sha256(str(drawn["seed"]).encode()).hexdigest() == committed["commitment"]
    check = draws.verify(row)
    assert check.commitment_matches and check.reproduced and check.within_pool


async def test_one_draw_per_tenant_and_year_and_a_draw_is_made_once(db: AsyncSession) -> None:
    await accepted_project(db)
    row = await _commit(db, count=1)
    with pytest.raises(Conflict) as again:
        await _commit(db, count=1)
    assert again.value.status == 409 and again.value.code == "draw_exists"
    with pytest.raises(Conflict) as early:
        draws.verify(row)  # nothing to verify before the seed is revealed
    assert early.value.code == "draw_not_made"
    await draws.make_draw(db, row, actor=BUREAU)
    with pytest.raises(Conflict) as redo:
        await draws.make_draw(db, row, actor=BUREAU)
    assert redo.value.code == "draw_made"
    await _commit(db, year=2026, count=1)  # another year is another draw


async def test_a_seed_other_than_the_committed_one_fails_verification(db: AsyncSession) -> None:
    await accepted_project(db)
    row = await _commit(db, count=1)
    await draws.make_draw(db, row, actor=BUREAU)
    row.seed = "0" * 32  # what a steered seed would look like after the fact
    check = draws.verify(row)
    assert check.commitment_matches is False


async def test_more_than_the_register_holds_cannot_be_committed(db: AsyncSession) -> None:
    await accepted_project(db)
    with pytest.raises(Invalid) as refused:
        await _commit(db, count=5)
    assert refused.value.extra["field"] == "count"
    assert await db.scalar(sa.select(sa.func.count()).select_from(Draw)) == 0


async def test_a_post_evaluation_names_a_committed_draw_that_picked_the_project(
    db: AsyncSession,
) -> None:
    pid = await accepted_project(db)
    report = await document(db, pid, "evaluation_report")
    legacy = Draw(
        id=uuid.uuid4(),
        tenant_id=LAIZHOU,
        year=2020,
        status="legacy",
        seed="x" * 32,
        project_pool=[str(pid)],
        projects=[str(pid)],
        evaluator_pool=[],
        evaluators=[],
    )
    db.add(legacy)
    row = await _commit(db, count=1)

    async def submit(draw_id: uuid.UUID) -> None:
        await evaluations.submit_evaluation(
            db,
            await project(db, pid),
            subject("bureau_officer"),
            kind="post_evaluation",
            report_document_id=report,
            submitted_on=date(2025, 11, 20),
            summary="绩效目标基本实现",
            rating="良",
            draw_id=draw_id,
            actor=BUREAU,
        )

    for not_good in (legacy.id, row.id):  # a legacy draw; a draw not made yet
        with pytest.raises(Invalid) as refused:
            await submit(not_good)
        assert refused.value.extra["field"] == "draw_id"
    await draws.make_draw(db, row, actor=BUREAU)
    await submit(row.id)
