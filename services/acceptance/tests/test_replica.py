"""The service's copy of each project, kept from events; wrong events are rejected, not skipped."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Reject
from libs.common.testing.database import in_tenant
from services.acceptance.completion import service as completion
from services.acceptance.models import Deadline, Document, Project
from services.acceptance.review import service as review
from services.acceptance.tests.support.feed import (
    LAIZHOU,
    actor,
    deliver,
    event,
    laizhou_project,
    outbox_types,
    project,
    registry_state,
)


async def test_the_copy_follows_events_and_never_goes_back(db: AsyncSession) -> None:
    pid = await laizhou_project(db)
    copy = await project(db, pid)
    assert (copy.state, copy.route, copy.implementing_on, copy.unit_id) == (
        "implementing",
        "approval",
        date(2023, 10, 9),
        "u1",
    )
    assert copy.approval is not None and copy.approval["outcome"] == "approved"
    # 第二十四条: the 建设期 report is due at the first year end after the contract.
    due = await db.scalar(sa.select(Deadline.due_on).where(Deadline.project_id == pid))
    assert due == date(2023, 12, 31)
    # A state delivered late (older version) changes nothing.
    await deliver(
        db, registry_state(pid, "procuring", 8, "govproj.budget.project.procurement_started.v1")
    )
    assert (await project(db, pid)).state == "implementing"
    await completion.declare_completion(
        db, copy, completed_on=date(2024, 3, 4), note=None, actor=actor()
    )
    await review.request_review(db, copy, note=None, actor=actor())
    # The registry's echo of "completed" (a newer version) arrives after the review opened:
    # acceptance's own step stands.
    await deliver(
        db, registry_state(pid, "completed", 10, "govproj.acceptance.project.completed.v1")
    )
    copy = await project(db, pid)
    assert copy.state == "acceptance_review" and copy.registry_version == 10
    assert (await outbox_types(db, pid))[-2:] == [
        "govproj.acceptance.deadline.scheduled.v1",
        "govproj.acceptance.project.review_requested.v1",
    ]


@pytest.mark.parametrize(
    ("kind", "data", "reason"),
    [
        (("approval", "project", "decided"), {"project_id": "PRJ-1", "decision": {}}, "project_id"),
        (("registry", "project", "state_changed"), {"state": "completed"}, "project_id"),
        (("approval", "project", "decided"), {"submission": 1}, "decision"),
        (("archive", "document", "uploaded"), {"document_id": 42}, "document_id"),
    ],
)
async def test_an_event_without_a_usable_id_or_decision_is_rejected_and_changes_nothing(
    db: AsyncSession, kind: tuple[str, str, str], data: dict[str, object], reason: str
) -> None:
    if reason == "decision":
        data = {**data, "project_id": str(uuid.uuid4())}
    before = await db.scalar(sa.select(sa.func.count()).select_from(Project))
    with pytest.raises(Reject) as rejected:
        async with db.begin_nested():  # the consumer's savepoint per event
            await deliver(db, event(LAIZHOU, *kind, **data))
    assert rejected.value.reason.startswith(f"{reason}:")
    assert await db.scalar(sa.select(sa.func.count()).select_from(Project)) == before


async def test_an_event_about_another_tenants_project_or_document_is_rejected(
    db: AsyncSession,
) -> None:
    pid = await laizhou_project(db)
    doc = Document(
        id=uuid.uuid4(),
        tenant_id=LAIZHOU,
        doc_type="other",
        title="x",
        project_ids=[str(pid)],
        seen_at=(await project(db, pid)).updated_at,
    )
    db.add(doc)
    await db.flush()
    # 445322 could write under its own tenant only; the ids are 莱州's (RLS lets the test see both).
    await in_tenant(db, "445322", visible=[LAIZHOU])
    for ev, field in (
        (
            event(
                "445322",
                "registry",
                "project",
                "state_changed",
                project_id=str(pid),
                state="terminated",
                version=99,
            ),
            "project_id",
        ),
        (
            event(
                "445322",
                "archive",
                "document",
                "attached",
                document_id=str(doc.id),
                project_id=str(uuid.uuid4()),
            ),
            "document_id",
        ),
    ):
        with pytest.raises(Reject) as rejected:
            async with db.begin_nested():
                await deliver(db, ev)
        assert rejected.value.reason.startswith(f"{field}:") and "其他辖区" in rejected.value.reason
    await in_tenant(db, LAIZHOU)
    assert (await project(db, pid)).state == "implementing"
