"""What a create and a submit leave in the database, column by column.

Both write the project row and its history row in one statement (not the ORM's
flush): the rows must be the ones the ORM wrote, SQL NULL where it left a column
out, JSON null where it set a JSONB column to None, and the history row naming
the event that went out with it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Invalid
from libs.common.testing.database import in_tenant
from services.registry.models import Project
from services.registry.projects import repository, service
from services.registry.tests.support import (
    CHAOAN,
    YUNAN,
    actor,
    make_project,
    make_unit,
    policies,
    project_body,
)

# How each JSONB column of a project is stored: SQL NULL (None) or its JSON type.
_JSON_KINDS = sa.text(
    "SELECT jsonb_typeof(submitted_facts) AS submitted_facts, jsonb_typeof(decision) AS decision,"
    " jsonb_typeof(decision_problem) AS decision_problem, route, in_annual_plan, submitted_on"
    " FROM registry.projects WHERE id = :id"
)


async def _stored(db: AsyncSession, project_id: uuid.UUID) -> dict[str, Any]:
    await db.flush()  # whatever the ORM still holds (text() does not autoflush)
    return dict((await db.execute(_JSON_KINDS, {"id": project_id})).mappings().one())


async def _history(db: AsyncSession, project_id: uuid.UUID) -> list[tuple[Any, ...]]:
    await db.flush()
    rows = await db.execute(
        sa.text(
            "SELECT h.from_state, h.to_state, h.trigger, o.type, h.actor->>'id' AS who"
            " FROM registry.project_history h JOIN registry.outbox o ON o.id::text = h.event_id"
            " WHERE h.project_id = :id ORDER BY h.at, h.id"
        ),
        {"id": project_id},
    )
    return [tuple(r) for r in rows]


async def test_a_new_project_is_written_as_the_orm_wrote_it(db: AsyncSession) -> None:
    project = await make_project(db, await make_unit(db))
    assert await _stored(db, project.id) == {
        "submitted_facts": None,
        "decision": None,
        "decision_problem": None,
        "route": None,
        "in_annual_plan": None,
        "submitted_on": None,
    }
    assert await _history(db, project.id) == [
        (None, "draft", "registry:create", "govproj.registry.project.created.v1", "tester")
    ]
    # The object the create returns is the row: read again, nothing differs.
    kept = {c: getattr(project, c) for c in ("name", "facts", "amount", "version", "created_at")}
    db.expunge(project)
    again = await db.get(Project, project.id)
    assert again is not None
    assert {c: getattr(again, c) for c in kept} == kept


async def _locked(db: AsyncSession, project_id: uuid.UUID) -> Project:
    """The project as a request reads it to change it (its own transaction: loaded afresh)."""
    await db.flush()
    db.expunge_all()
    project = await repository.get_for_update(db, project_id)
    assert project is not None
    return project


async def test_a_submission_writes_what_changed_with_its_history(db: AsyncSession) -> None:
    created = await make_project(db, await make_unit(db))
    project = await _locked(db, created.id)
    await service.submit_project(
        db, project=project, submitted_on=None, expected_version=1, actor=actor()
    )
    assert await _stored(db, project.id) == {
        "submitted_facts": "object",
        "decision": None,  # None before and after: left alone, SQL NULL
        "decision_problem": None,
        "route": None,
        "in_annual_plan": False,
        "submitted_on": project.submitted_on,
    }
    # Returned with a decision, then submitted again: the decision is cleared.
    project.state, project.decision = "draft", {"route": "filing"}
    project = await _locked(db, project.id)
    await service.submit_project(
        db, project=project, submitted_on=None, expected_version=None, actor=actor(user="again")
    )
    assert (await _stored(db, project.id))["decision"] == "null"  # as the ORM set None
    assert await _history(db, project.id) == [
        (None, "draft", "registry:create", "govproj.registry.project.created.v1", "tester"),
        (
            "draft",
            "submitted",
            "registry:submit",
            "govproj.registry.project.submitted.v1",
            "tester",
        ),
        ("draft", "submitted", "registry:submit", "govproj.registry.project.submitted.v1", "again"),
    ]
    db.expunge(project)
    again = await db.get(Project, project.id)
    assert again is not None
    assert (again.state, again.version, again.submission) == ("submitted", 3, 2)


async def test_a_foreign_unit_is_named_before_wrong_facts(db: AsyncSession) -> None:
    foreign = await make_unit(db, CHAOAN)
    await in_tenant(db, YUNAN, visible={CHAOAN})
    body = project_body(foreign.id)
    body.facts["in_annual_plan"] = True  # wrong too, but the unit is said first
    with pytest.raises(Invalid) as exc:
        await service.create_project(
            db, policies=policies(), tenant=YUNAN, body=body, actor=actor()
        )
    assert exc.value.extra["field"] == "unit_id"


async def test_the_submitted_event_names_the_project_as_it_stood(db: AsyncSession) -> None:
    created = await make_project(db, await make_unit(db))
    project = await _locked(db, created.id)
    await service.submit_project(
        db, project=project, submitted_on=None, expected_version=1, actor=actor()
    )
    await db.flush()
    payload = await db.scalar(
        sa.text(
            "SELECT payload FROM registry.outbox WHERE type = :t AND payload->>'project_id' = :id"
        ),
        {"t": "govproj.registry.project.submitted.v1", "id": str(project.id)},
    )
    # Its version is the one submitted (the transition's own comes after), its state the new one.
    assert {k: payload[k] for k in ("version", "state", "submission")} == {
        "version": 1,
        "state": "submitted",
        "submission": 1,
    }
    assert payload["facts"] == project.submitted_facts
