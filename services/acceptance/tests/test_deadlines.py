"""Deadlines: the sweep's notices (each once), extensions, the yearly report of 建设期."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext, transaction
from libs.common.errors import Conflict, Invalid
from libs.common.tenants import apply_tenant_event
from services.acceptance import workers
from services.acceptance.completion import service as completion
from services.acceptance.deadlines import service, sweep
from services.acceptance.evaluations import service as evaluations
from services.acceptance.models import Deadline, tenants
from services.acceptance.tests.support.feed import (
    LAIZHOU,
    actor,
    document,
    laizhou_project,
    outbox_types,
    project,
    subject,
)

SYSTEM: dict[str, Any] = {
    "type": "system",
    "id": "acceptance.deadlines",
    "tenant": LAIZHOU,
    "roles": [],
}


def _notices(types: list[str]) -> list[str]:
    return [t.split(".")[3] for t in types if t.split(".")[3] in ("reminder", "overdue")]


async def _due(db: AsyncSession, pid: uuid.UUID, code: str = "acceptance_due") -> Deadline:
    return (
        await db.scalars(
            sa.select(Deadline)
            .where(Deadline.project_id == pid, Deadline.code == code)
            .order_by(Deadline.original_due_on.desc())
            .execution_options(populate_existing=True)
        )
    ).first()  # type: ignore[return-value]


async def _completed_project(db: AsyncSession, on: date = date(2024, 3, 4)) -> uuid.UUID:
    pid = await laizhou_project(db)
    await completion.declare_completion(
        db, await project(db, pid), completed_on=on, note=None, actor=actor()
    )
    return pid


async def test_two_sweeps_at_once_send_each_notice_once(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(committed, TenantContext.own(LAIZHOU)) as session:
        pid = await _completed_project(session)
        due = (await _due(session, pid)).due_on
    assert due == date(2024, 9, 4)

    async def types() -> list[str]:
        async with transaction(committed, TenantContext.own(LAIZHOU)) as session:
            return await outbox_types(session, pid)

    async def at(day: date) -> None:
        # Two workers at the same moment: FOR UPDATE SKIP LOCKED keeps each notice single.
        await asyncio.gather(
            sweep.sweep(committed, [LAIZHOU], today=day, actor=SYSTEM),
            sweep.sweep(committed, [LAIZHOU], today=day, actor=SYSTEM),
        )

    await at(due - timedelta(days=31))
    assert _notices(await types()) == ["overdue"]  # the 2023 year-end report only
    await at(due - timedelta(days=30))
    await at(due)
    assert _notices(await types()) == ["overdue", "reminder"]
    await at(due + timedelta(days=1))
    await at(due + timedelta(days=40))
    assert _notices(await types()) == ["overdue", "reminder", "overdue"]


async def test_a_granted_extension_moves_the_day_and_both_notices_go_out_again(
    db: AsyncSession,
) -> None:
    pid = await _completed_project(db)
    await sweep.sweep_one(db, LAIZHOU, date(2024, 10, 1), SYSTEM)
    assert (await _due(db, pid)).status == "overdue"
    copy = await project(db, pid)
    with pytest.raises(Invalid) as early:
        await service.request_extension(
            db, copy, code="acceptance_due", until=date(2024, 9, 1), reason="x", actor=actor()
        )
    assert early.value.extra["field"] == "until"
    with pytest.raises(Conflict) as other:
        await service.request_extension(
            db,
            copy,
            code="self_evaluation_due",
            until=date(2025, 1, 1),
            reason="x",
            actor=actor(),
        )
    assert other.value.code == "not_extensible"
    # 第二十三条第二款: 向项目审批部门提出延期验收申请.
    ext = await service.request_extension(
        db,
        copy,
        code="acceptance_due",
        until=date(2024, 12, 31),
        reason="测评排期",
        actor=actor(),
    )
    with pytest.raises(Conflict) as twice:
        await service.request_extension(
            db, copy, code="acceptance_due", until=date(2025, 1, 31), reason="x", actor=actor()
        )
    assert twice.value.code == "extension_pending"
    ext, owner = await service.get_extension(db, ext.id)
    await service.decide_extension(
        db, ext, owner, outcome="grant", opinion="同意", actor=actor("bureau_officer")
    )
    row = await _due(db, pid)
    assert (row.status, row.due_on, row.original_due_on) == (
        "open",
        date(2024, 12, 31),
        date(2024, 9, 4),
    )
    await sweep.sweep_one(db, LAIZHOU, date(2024, 12, 15), SYSTEM)
    await sweep.sweep_one(db, LAIZHOU, date(2025, 1, 2), SYSTEM)
    notices = _notices(await outbox_types(db, pid))
    assert notices[-2:] == ["reminder", "overdue"]
    assert "govproj.acceptance.deadline.extension_granted.v1" in await outbox_types(db, pid)
    with pytest.raises(Conflict):
        await service.decide_extension(
            db, ext, owner, outcome="refuse", opinion="再议", actor=actor("bureau_officer")
        )


async def test_a_yearly_report_is_owed_every_year_of_construction(db: AsyncSession) -> None:
    # 莱州 第二十四条: 建设期内、每年年底前 a performance report.
    pid = await laizhou_project(db, signed_on=date(2023, 10, 9))
    await sweep.sweep_one(db, LAIZHOU, date(2025, 3, 1), SYSTEM)

    async def cycles() -> list[tuple[date, str]]:
        rows = (
            await db.scalars(
                sa.select(Deadline)
                .where(Deadline.project_id == pid, Deadline.code == "performance_report_due")
                .order_by(Deadline.original_due_on)
                .execution_options(populate_existing=True)
            )
        ).all()
        return [(r.due_on, r.status) for r in rows]

    assert await cycles() == [
        (date(2023, 12, 31), "overdue"),
        (date(2024, 12, 31), "overdue"),
        (date(2025, 12, 31), "open"),
    ]
    before = await outbox_types(db, pid)
    await sweep.sweep_one(db, LAIZHOU, date(2025, 3, 2), SYSTEM)
    assert await outbox_types(db, pid) == before  # nothing new, nothing twice
    # One report meets one year: the earliest still owed (late, and said so).
    report = await document(db, pid, "evaluation_report")
    await evaluations.submit_evaluation(
        db,
        await project(db, pid),
        subject(),
        kind="performance_evaluation",
        report_document_id=report,
        submitted_on=date(2025, 3, 2),
        summary="建设进度与投资计划执行情况",
        rating=None,
        draw_id=None,
        actor=actor(),
    )
    assert [s for _, s in await cycles()] == ["met", "overdue", "open"]
    # Construction over: no further cycle is created.
    await completion.declare_completion(
        db, await project(db, pid), completed_on=date(2025, 6, 30), note=None, actor=actor()
    )
    await sweep.sweep_one(db, LAIZHOU, date(2026, 1, 5), SYSTEM)
    assert [d for d, _ in await cycles()][-1] == date(2025, 12, 31)


async def test_the_worker_sweeps_every_tenant_of_the_replica(
    committed: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with transaction(committed, TenantContext.own(LAIZHOU)) as session:
        pid = await _completed_project(session)  # long overdue
    async with transaction(committed, None) as session:
        await apply_tenant_event(
            session,
            tenants,
            {"code": LAIZHOU, "name": "莱州市", "level": "county", "parent_code": "370600"},
        )
    monkeypatch.setattr(workers, "SWEEP_SECONDS", 0.05)
    idle = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(run_workers=False)))
    await workers.start_sweeper(idle)  # type: ignore[arg-type]
    assert not hasattr(idle.state, "deadline_sweeper")  # an API-only process does not sweep
    app = SimpleNamespace(
        state=SimpleNamespace(settings=SimpleNamespace(run_workers=True), sessionmaker=committed)
    )
    await workers.start_sweeper(app)  # type: ignore[arg-type]

    async def overdue_actor() -> str | None:
        async with transaction(committed, TenantContext.own(LAIZHOU)) as session:
            value = await session.scalar(
                sa.text(
                    "SELECT headers->>'ce-actor' FROM acceptance.outbox "
                    "WHERE payload->>'project_id' = :p AND payload->>'code' = 'acceptance_due' "
                    "AND type = 'govproj.acceptance.deadline.overdue.v1'"
                ),
                {"p": str(pid)},
            )
            return None if value is None else str(value)

    try:
        for _ in range(100):
            if await overdue_actor() is not None:
                break
            await asyncio.sleep(0.05)
    finally:
        app.state.deadline_sweeper.cancel()
    assert "acceptance.deadlines" in str(await overdue_actor())
