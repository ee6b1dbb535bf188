"""The service on a real database: its copy of the project, completion, the sweep, extensions."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import transaction
from libs.common.errors import Problem
from libs.common.tenants import apply_tenant_event
from services.acceptance import evaluations, guards, records, review, service, sweep
from services.acceptance.models import Deadline, Document, Project, Review, tenants
from services.acceptance.tests.conftest import LAIZHOU, event, in_tenant, laizhou_project

ACTOR: dict[str, Any] = {
    "type": "user",
    "id": "unit@370683",
    "name": "建设单位",
    "tenant": LAIZHOU,
    "roles": ["unit_officer"],
}


async def _project(sessions: async_sessionmaker[AsyncSession], pid: uuid.UUID) -> Project:
    async with in_tenant(sessions) as session:
        project = await session.get(Project, pid)
        assert project is not None
        session.expunge(project)
        return project


async def _types(sessions: async_sessionmaker[AsyncSession], pid: uuid.UUID) -> list[str]:
    async with in_tenant(sessions) as session:
        rows = await session.execute(
            sa.text(
                "SELECT type FROM acceptance.outbox WHERE payload->>'project_id' = :p ORDER BY id"
            ),
            {"p": str(pid)},
        )
        return [str(r[0]) for r in rows]


async def test_the_copy_follows_events_and_never_goes_back(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pid = await laizhou_project(sessions)
    project = await _project(sessions, pid)
    assert (project.state, project.route, project.implementing_on) == (
        "implementing",
        "approval",
        date(2023, 10, 9),
    )
    assert project.approval is not None and project.approval["outcome"] == "approved"
    # 第二十四条: the 建设期 report is due at the first year end after the contract.
    async with in_tenant(sessions) as session:
        due = await session.scalar(sa.select(Deadline.due_on).where(Deadline.project_id == pid))
    assert due == date(2023, 12, 31)
    # A state delivered late (older version) changes nothing.
    async with in_tenant(sessions) as session:
        await records.on_state_changed(
            session,
            event(
                LAIZHOU,
                "registry",
                "project",
                "state_changed",
                project_id=str(pid),
                state="procuring",
                version=8,
                trigger="govproj.budget.project.procurement_started.v1",
            ),
        )
    assert (await _project(sessions, pid)).state == "implementing"
    async with in_tenant(sessions) as session:
        project = await guards.writable(
            session,
            pid,
            SimpleNamespace(tenant=LAIZHOU, unit_id=None, has_role=lambda *r: True),  # type: ignore[arg-type]
        )
        await service.declare_completion(
            session, project, completed_on=date(2024, 3, 4), note=None, actor=ACTOR
        )
        await review.request_review(session, project, note=None, actor=ACTOR)
    # The registry's echo of "completed" (a newer version) arrives after the review opened:
    # acceptance's own step stands.
    async with in_tenant(sessions) as session:
        await records.on_state_changed(
            session,
            event(
                LAIZHOU,
                "registry",
                "project",
                "state_changed",
                project_id=str(pid),
                state="completed",
                version=10,
                trigger="govproj.acceptance.project.completed.v1",
            ),
        )
    project = await _project(sessions, pid)
    assert project.state == "acceptance_review" and project.registry_version == 10
    types = await _types(sessions, pid)
    assert types[-2:] == [
        "govproj.acceptance.deadline.scheduled.v1",
        "govproj.acceptance.project.review_requested.v1",
    ]


async def test_completion_dates_are_checked_and_a_refusal_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pid = await laizhou_project(sessions, signed_on=date(2024, 1, 10))
    subject = SimpleNamespace(tenant=LAIZHOU, unit_id=None, has_role=lambda *r: True)
    for bad, why in (
        (date.today() + timedelta(days=3), "不得晚于今天"),
        (date(2024, 1, 9), "不得早于"),
    ):
        with pytest.raises(Problem) as caught:
            async with in_tenant(sessions) as session:
                project = await guards.writable(session, pid, subject)  # type: ignore[arg-type]
                await service.declare_completion(
                    session, project, completed_on=bad, note=None, actor=ACTOR
                )
        assert caught.value.status == 422 and why in str(caught.value.detail)
        assert caught.value.extra["field"] == "completed_on"
    assert (await _project(sessions, pid)).state == "implementing"
    assert "govproj.acceptance.project.completed.v1" not in await _types(sessions, pid)


async def _complete(sessions: async_sessionmaker[AsyncSession], pid: uuid.UUID, on: date) -> None:
    subject = SimpleNamespace(tenant=LAIZHOU, unit_id=None, has_role=lambda *r: True)
    async with in_tenant(sessions) as session:
        project = await guards.writable(session, pid, subject)  # type: ignore[arg-type]
        await service.declare_completion(session, project, completed_on=on, note=None, actor=ACTOR)


async def _acceptance_due(sessions: async_sessionmaker[AsyncSession], pid: uuid.UUID) -> Deadline:
    async with in_tenant(sessions) as session:
        row = (
            await session.scalars(
                sa.select(Deadline).where(
                    Deadline.project_id == pid, Deadline.code == "acceptance_due"
                )
            )
        ).one()
        session.expunge(row)
        return row


async def test_sweep_reminds_once_then_overdue_once_even_when_two_run_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pid = await laizhou_project(sessions)
    await _complete(sessions, pid, date(2024, 3, 4))
    due = (await _acceptance_due(sessions, pid)).due_on
    assert due == date(2024, 9, 4)
    actor = {"type": "system", "id": "acceptance.deadlines", "tenant": LAIZHOU, "roles": []}

    async def at(day: date) -> None:
        # Two sweeps at the same moment (two workers): each notice still goes out once.
        await asyncio.gather(
            sweep.sweep(sessions, [LAIZHOU], today=day, actor=actor),
            sweep.sweep(sessions, [LAIZHOU], today=day, actor=actor),
        )

    def notices(types: list[str]) -> list[str]:
        return [t.split(".")[3] for t in types if t.split(".")[3] in ("reminder", "overdue")]

    await at(due - timedelta(days=31))
    assert notices(await _types(sessions, pid)) == ["overdue"]  # the 2023 year-end report only
    await at(due - timedelta(days=30))
    await at(due)
    assert notices(await _types(sessions, pid)) == ["overdue", "reminder"]
    await at(due + timedelta(days=1))
    await at(due + timedelta(days=40))
    assert notices(await _types(sessions, pid)) == ["overdue", "reminder", "overdue"]
    row = await _acceptance_due(sessions, pid)
    assert row.status == "overdue" and row.overdue_at is not None

    # 第二十三条第二款: an extension granted moves the day; both notices may go out again.
    async with in_tenant(sessions) as session:
        project = await session.get(Project, pid)
        assert project is not None
        ext = await sweep.request_extension(
            session,
            project,
            code="acceptance_due",
            until=date(2024, 12, 31),
            reason="测评排期",
            actor=ACTOR,
        )
    async with in_tenant(sessions) as session:
        await sweep.decide_extension(
            session, ext.id, LAIZHOU, outcome="grant", opinion="同意", actor=actor
        )
    row = await _acceptance_due(sessions, pid)
    assert (row.status, row.due_on, row.original_due_on) == ("open", date(2024, 12, 31), due)
    await at(date(2024, 12, 15))
    await at(date(2025, 1, 2))
    assert notices(await _types(sessions, pid))[-2:] == ["reminder", "overdue"]
    # Nothing left to extend twice while one waits, nor a met deadline.
    async with in_tenant(sessions) as session:
        project = await session.get(Project, pid)
        assert project is not None
        with pytest.raises(Problem) as caught:
            await sweep.request_extension(
                session,
                project,
                code="acceptance_due",
                until=date(2024, 12, 1),
                reason="x",
                actor=ACTOR,
            )
        assert caught.value.status == 422


async def test_archive_outcomes_tick_and_untick_the_open_review(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pid = await laizhou_project(sessions)
    await _complete(sessions, pid, date(2024, 3, 4))
    async with in_tenant(sessions) as session:
        project = await session.get(Project, pid, with_for_update=True)
        assert project is not None
        # Give the decision an archive requirement, as 坡头 第二十三条 does.
        project.decision = {
            **(project.decision or {}),
            "requirements": [
                *(project.decision or {})["requirements"],
                {
                    "code": "archive_acceptance",
                    "mandatory": True,
                    "stage": "acceptance",
                    "actor": "unit_officer",
                    "authority": None,
                    "order": 1,
                    "article": "第二十三条",
                    "explanation": "未进行档案验收或者档案验收不合格的，不得通过项目验收。",
                },
            ],
        }
        await review.request_review(session, project, note=None, actor=ACTOR)

    async def archive_item() -> dict[str, Any]:
        async with in_tenant(sessions) as session:
            review = (
                await session.scalars(sa.select(Review).where(Review.project_id == pid))
            ).one()
            (item,) = [i for i in review.items if i["code"] == "archive_acceptance"]
            return item

    assert (await archive_item())["satisfied"] is False
    for outcome, satisfied in (("passed", True), ("failed", False), ("passed", True)):
        async with in_tenant(sessions) as session:
            await records.on_archive_acceptance(
                session,
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
        item = await archive_item()
        assert item["satisfied"] is satisfied and item["archive_outcome"] == outcome


async def test_the_worker_sweeps_every_tenant_of_the_replica(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = await laizhou_project(sessions)
    await _complete(sessions, pid, date(2024, 3, 4))  # long overdue
    async with transaction(sessions, None) as session:
        await apply_tenant_event(
            session,
            tenants,
            {"code": LAIZHOU, "name": "莱州市", "level": "county", "parent_code": "370600"},
        )
    monkeypatch.setattr(sweep, "SWEEP_SECONDS", 0.05)
    idle = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(run_workers=False)))
    await sweep.start_sweeper(idle)  # type: ignore[arg-type]
    assert not hasattr(idle.state, "deadline_sweeper")  # an API-only process does not sweep
    app = SimpleNamespace(
        state=SimpleNamespace(settings=SimpleNamespace(run_workers=True), sessionmaker=sessions)
    )
    await sweep.start_sweeper(app)  # type: ignore[arg-type]
    try:
        for _ in range(100):
            if (await _acceptance_due(sessions, pid)).overdue_at is not None:
                break
            await asyncio.sleep(0.05)
    finally:
        app.state.deadline_sweeper.cancel()
    assert (await _acceptance_due(sessions, pid)).status == "overdue"
    async with in_tenant(sessions) as session:
        actor = await session.scalar(
            sa.text(
                "SELECT headers->>'ce-actor' FROM acceptance.outbox WHERE payload->>'project_id' = :p "
                "AND type = 'govproj.acceptance.deadline.overdue.v1' AND payload->>'code' = 'acceptance_due'"
            ),
            {"p": str(pid)},
        )
    assert "acceptance.deadlines" in str(actor)


async def test_a_yearly_report_is_owed_every_year_of_construction(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # 莱州 第二十四条: 建设期内、每年年底前 a performance report.
    pid = await laizhou_project(sessions, signed_on=date(2023, 10, 9))
    actor = {"type": "system", "id": "acceptance.deadlines", "tenant": LAIZHOU, "roles": []}
    await sweep.sweep(sessions, [LAIZHOU], today=date(2025, 3, 1), actor=actor)

    async def cycles() -> list[tuple[date, str]]:
        async with in_tenant(sessions) as session:
            rows = (
                await session.scalars(
                    sa.select(Deadline)
                    .where(Deadline.project_id == pid, Deadline.code == "performance_report_due")
                    .order_by(Deadline.original_due_on)
                )
            ).all()
            return [(r.due_on, r.status) for r in rows]

    assert await cycles() == [
        (date(2023, 12, 31), "overdue"),
        (date(2024, 12, 31), "overdue"),
        (date(2025, 12, 31), "open"),
    ]
    # A second sweep creates nothing more and sends nothing twice.
    before = await _types(sessions, pid)
    await sweep.sweep(sessions, [LAIZHOU], today=date(2025, 3, 2), actor=actor)
    assert await _types(sessions, pid) == before
    # One report meets one year: the earliest still owed (late, and said so).
    async with in_tenant(sessions) as session:
        session.add(
            Document(
                id=(doc := uuid.uuid4()),
                tenant_id=LAIZHOU,
                doc_type="evaluation_report",
                title="2023年度绩效评价报告",
                project_ids=[str(pid)],
                seen_at=records.now(),
            )
        )
    subject = SimpleNamespace(tenant=LAIZHOU, unit_id=None, has_role=lambda *r: "unit_officer" in r)
    # A report filed under another project is not this project's report.
    async with in_tenant(sessions) as session:
        session.add(
            Document(
                id=(elsewhere := uuid.uuid4()),
                tenant_id=LAIZHOU,
                doc_type="evaluation_report",
                title="他项目报告",
                project_ids=[str(uuid.uuid4())],
                seen_at=records.now(),
            )
        )
    with pytest.raises(Problem) as caught:
        async with in_tenant(sessions) as session:
            project = await session.get(Project, pid, with_for_update=True)
            assert project is not None
            await evaluations.submit_evaluation(
                session,
                project,
                subject,  # type: ignore[arg-type]
                kind="performance_evaluation",
                report_document_id=elsewhere,
                submitted_on=date(2025, 3, 2),
                summary="x",
                rating=None,
                draw_id=None,
                actor=ACTOR,
            )
    assert caught.value.extra["field"] == "report_document_id"
    assert [s for _, s in await cycles()] == ["overdue", "overdue", "open"]
    async with in_tenant(sessions) as session:
        project = await session.get(Project, pid, with_for_update=True)
        assert project is not None
        await evaluations.submit_evaluation(
            session,
            project,
            subject,  # type: ignore[arg-type]
            kind="performance_evaluation",
            report_document_id=doc,
            submitted_on=date(2025, 3, 2),
            summary="建设进度与投资计划执行情况",
            rating=None,
            draw_id=None,
            actor=ACTOR,
        )
    assert [s for _, s in await cycles()] == ["met", "overdue", "open"]
    # Construction over: no further cycle is created.
    await _complete(sessions, pid, date(2025, 6, 30))
    await sweep.sweep(sessions, [LAIZHOU], today=date(2026, 1, 5), actor=actor)
    assert [d for d, _ in await cycles()][-1] == date(2025, 12, 31)


async def test_a_failed_acceptance_returns_the_project_and_a_second_one_can_pass(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pid = await laizhou_project(sessions, amount=800_000)  # < 500万: no mandatory reports
    await _complete(sessions, pid, date(2024, 3, 4))
    async with in_tenant(sessions) as session:
        session.add(
            Document(
                id=(report := uuid.uuid4()),
                tenant_id=LAIZHOU,
                doc_type="acceptance_report",
                title="验收报告",
                project_ids=[str(pid)],
                seen_at=records.now(),
            )
        )
    unit = SimpleNamespace(tenant=LAIZHOU, unit_id=None, has_role=lambda *r: "unit_officer" in r)
    opinions = [{"name": "赵专家", "opinion": "性能未达标", "conclusion": "fail"}]
    # 第二十一条 安全评估 and 第二十七条 数据资源 are owed whatever the amount.
    async with in_tenant(sessions) as session:
        project = await session.get(Project, pid, with_for_update=True)
        assert project is not None
        await review.request_review(session, project, note=None, actor=ACTOR)
        for code, doc_type in (
            ("security_assessment", "security_assessment_report"),
            ("data_resource_catalog", "other"),
        ):
            session.add(
                Document(
                    id=(doc := uuid.uuid4()),
                    tenant_id=LAIZHOU,
                    doc_type=doc_type,
                    title=code,
                    project_ids=[str(pid)],
                    seen_at=records.now(),
                )
            )
            await session.flush()
            await review.attach_evidence(
                session, project, code=code, document_ids=[doc], note=None, actor=ACTOR
            )

    async def hold(outcome: str, on: date) -> str:
        async with in_tenant(sessions) as session:
            project = await session.get(Project, pid, with_for_update=True)
            assert project is not None
            await service.record_acceptance(
                session,
                project,
                unit,  # type: ignore[arg-type]
                outcome=outcome,
                held_on=on,
                report_document_id=report,
                expert_opinions=opinions,
                conclusion=f"验收{outcome}",
                actor=ACTOR,
            )
            return project.state

    assert await hold("failed", date(2024, 6, 1)) == "completed"
    due = await _acceptance_due(sessions, pid)
    assert due.status == "open"  # a failed acceptance does not meet 第二十三条第二款
    assert await hold("passed", date(2024, 8, 1)) == "accepted"
    due = await _acceptance_due(sessions, pid)
    assert (due.status, due.met_on) == ("met", date(2024, 8, 1))
    project_events = [
        t.removeprefix("govproj.acceptance.")
        for t in await _types(sessions, pid)
        if ".project." in t
    ]
    assert project_events == [
        "project.completed.v1",
        "project.review_requested.v1",
        "project.review_returned.v1",
        # The second acceptance reopens the unit's check with the evidence already named.
        "project.review_requested.v1",
        "project.accepted.v1",
    ]


async def test_zz_every_event_written_matches_its_published_schema(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Runs last in this module: every event the tests above caused, against its schema."""
    import jsonschema  # type: ignore[import-untyped]

    from services.acceptance.event_schemas import SCHEMAS, schema_for
    from services.acceptance.events import PUBLISHES

    assert {".".join(t.split(".")[2:4]) for t in PUBLISHES} == set(SCHEMAS)
    async with in_tenant(sessions) as session:
        rows = (await session.execute(sa.text("SELECT type, payload FROM acceptance.outbox"))).all()
    assert len(rows) > 50
    seen = set()
    checker = jsonschema.FormatChecker()
    for event_type, payload in rows:
        assert event_type in PUBLISHES, event_type
        jsonschema.validate(payload, schema_for(event_type), format_checker=checker)
        seen.add(event_type)
    assert len(seen) >= 12
