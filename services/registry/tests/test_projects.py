"""Project rules on a real database: drafts, edits, submission, termination, decisions."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid, Problem
from libs.common.events import Event, Reject, make_event, system_actor
from libs.common.testing.database import in_tenant
from services.registry.models import Project, ProjectHistory
from services.registry.projects import handlers, lifecycle, repository, service
from services.registry.tests.support import (
    CHAOAN,
    YUNAN,
    actor,
    make_project,
    make_unit,
    outbox_types,
    policies,
    project_body,
)


def decided(tenant: str, project_id: object, route: str, submission: int = 1) -> Event:
    return make_event(
        tenant=tenant,
        service="approval",
        aggregate="project",
        event="decided",
        data={
            "tenant": tenant,
            "project_id": str(project_id),
            "route": route,
            "submission": submission,
            "explanation": "依据第十条",
        },
        actor=system_actor("approval.test", tenant),
    )


async def _history(db: AsyncSession, project_id: uuid.UUID) -> list[tuple[str | None, str]]:
    return [(h.from_state, h.to_state) for h in await repository.history(db, project_id)]


async def test_a_new_project_is_a_draft_with_its_history_and_event(db: AsyncSession) -> None:
    unit = await make_unit(db)
    project = await make_project(db, unit, amount=600_000)
    assert (project.state, project.version, project.amount) == ("draft", 1, 600_000)
    assert await _history(db, project.id) == [(None, "draft")]
    assert await outbox_types(db, YUNAN) == [
        "govproj.registry.unit.created.v1",
        "govproj.registry.project.created.v1",
    ]


async def test_facts_the_registry_establishes_cannot_come_from_the_unit(db: AsyncSession) -> None:
    unit = await make_unit(db)
    body = project_body(unit.id)
    body.facts["in_annual_plan"] = True
    with pytest.raises(Invalid) as exc:
        await service.create_project(
            db, policies=policies(), tenant=YUNAN, body=body, actor=actor()
        )
    assert exc.value.extra["field"] == "facts.in_annual_plan"


async def test_a_project_belongs_to_a_unit_of_its_own_jurisdiction(db: AsyncSession) -> None:
    foreign = await make_unit(db, CHAOAN)
    await in_tenant(db, YUNAN, visible={CHAOAN})  # even a unit the caller can see
    with pytest.raises(Invalid) as exc:
        await service.create_project(
            db, policies=policies(), tenant=YUNAN, body=project_body(foreign.id), actor=actor()
        )
    assert exc.value.extra["field"] == "unit_id"


async def _rename(
    db: AsyncSession, project: Project, name: str, *, expected_version: int | None
) -> Project:
    """The unit edits only the draft's name, at ``expected_version`` (If-Match)."""
    return await service.update_project(
        db,
        policies=policies(),
        project=project,
        changes={"name": name},
        links=None,
        expected_version=expected_version,
        actor=actor(),
    )


async def test_only_a_draft_is_edited_and_only_at_its_version(db: AsyncSession) -> None:
    project = await make_project(db, await make_unit(db))
    with pytest.raises(Problem) as stale:
        await _rename(db, project, "新名称", expected_version=7)
    assert stale.value.status == 412
    await _rename(db, project, "新名称", expected_version=1)
    assert (project.name, project.version) == ("新名称", 2)
    await service.submit_project(
        db, project=project, submitted_on=None, expected_version=2, actor=actor()
    )
    with pytest.raises(Conflict) as late:
        await _rename(db, project, "再改", expected_version=None)
    assert late.value.code == "illegal_transition"


async def test_submission_fixes_the_facts_and_cannot_be_repeated(db: AsyncSession) -> None:
    project = await make_project(db, await make_unit(db))
    with pytest.raises(Invalid):
        await service.submit_project(
            db,
            project=project,
            submitted_on=date.today() + timedelta(days=2),
            expected_version=None,
            actor=actor(),
        )
    await service.submit_project(
        db, project=project, submitted_on=None, expected_version=None, actor=actor()
    )
    assert (project.state, project.submission) == ("submitted", 1)
    assert project.submitted_facts is not None
    assert project.submitted_facts["in_annual_plan"] is False
    assert project.submitted_facts["systems"] == []
    with pytest.raises(Conflict):
        await service.submit_project(
            db, project=project, submitted_on=None, expected_version=None, actor=actor()
        )
    assert await _history(db, project.id) == [(None, "draft"), ("draft", "submitted")]


async def test_the_bureau_cannot_terminate_a_draft(db: AsyncSession) -> None:
    project = await make_project(db, await make_unit(db))
    with pytest.raises(Conflict):
        await service.terminate_project(db, project=project, reason="不再需要", actor=actor())
    assert project.state == "draft"


async def test_a_decision_drives_the_submitted_project_and_is_recorded(db: AsyncSession) -> None:
    project = await make_project(db, await make_unit(db))
    await service.submit_project(
        db, project=project, submitted_on=None, expected_version=None, actor=actor()
    )
    event = decided(YUNAN, project.id, "approval")
    await handlers.on_decided(db, event)
    assert (project.state, project.route) == ("under_review", "approval")
    history = (await repository.history(db, project.id))[-1]
    assert (history.trigger, history.event_id) == (lifecycle.DECIDED, event.id)
    assert (await outbox_types(db, YUNAN))[-1] == "govproj.registry.project.state_changed.v1"


async def test_a_decision_on_an_earlier_submission_changes_nothing(db: AsyncSession) -> None:
    project = await make_project(db, await make_unit(db))
    await service.submit_project(
        db, project=project, submitted_on=None, expected_version=None, actor=actor()
    )
    await handlers.on_decided(db, decided(YUNAN, project.id, "approval", submission=0))
    assert project.state == "submitted"


@pytest.mark.parametrize(
    "case", ["bad id", "unknown project", "other tenant", "future submission", "repeated"]
)
async def test_a_decision_the_registry_cannot_apply_is_rejected(
    db: AsyncSession, case: str
) -> None:
    project = await make_project(db, await make_unit(db))
    await service.submit_project(
        db, project=project, submitted_on=None, expected_version=None, actor=actor()
    )
    await handlers.on_decided(db, decided(YUNAN, project.id, "approval"))
    await db.flush()
    target: object = {"bad id": "P-1", "unknown project": uuid.uuid4()}.get(case, project.id)
    tenant = CHAOAN if case == "other tenant" else YUNAN
    submission = 2 if case == "future submission" else 1
    await in_tenant(db, tenant)
    with pytest.raises(Reject) as exc:
        await handlers.on_decided(db, decided(tenant, target, "filing", submission))
    assert exc.value.reason
    await in_tenant(db, YUNAN)
    steps = await db.scalar(
        sa.select(sa.func.count())
        .select_from(ProjectHistory)
        .where(ProjectHistory.project_id == project.id)
    )
    assert steps == 3 and (project.state, project.route) == ("under_review", "approval")


def _approved(tenant: str, project_id: object) -> Event:
    return make_event(
        tenant=tenant,
        service="approval",
        aggregate="project",
        event="approved",
        data={"tenant": tenant, "project_id": str(project_id), "opinion": "同意"},
        actor=system_actor("approval.test", tenant),
    )


async def test_an_event_ahead_of_its_precursor_is_retried_and_a_crossed_one_rejected(
    db: AsyncSession,
) -> None:
    # The approval arrives before the decision that put the project under review (a
    # redelivery after a crash comes later than events published since): the runner
    # must retry it, not dead-letter it. Once the project is rejected it never fits.
    project = await make_project(db, await make_unit(db))
    await service.submit_project(
        db, project=project, submitted_on=None, expected_version=None, actor=actor()
    )
    with pytest.raises(handlers.EarlyEvent):
        await handlers.on_transition(lifecycle.APPROVED)(db, _approved(YUNAN, project.id))
    assert project.state == "submitted"
    await handlers.on_decided(db, decided(YUNAN, project.id, "approval"))
    await handlers.on_transition(lifecycle.APPROVED)(db, _approved(YUNAN, project.id))
    assert project.state == "approved"
    with pytest.raises(Reject):
        await handlers.on_transition(lifecycle.REJECTED)(db, _approved(YUNAN, project.id))
    assert project.state == "approved"
