"""Event handlers on a real database (rolled back per test): what they change, what they reject."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event, Reject, make_event, system_actor
from services.approval.documents import repository as documents
from services.approval.documents.handlers import on_procurement_started
from services.approval.documents.service import sweep_expired
from services.approval.tests.support import YUNAN, approve_all, decided, submission
from services.approval.workflow import repository
from services.approval.workflow.handlers import on_finance_review_completed


def _event(aggregate: str, kind: str, **data: Any) -> Event:
    return make_event(
        tenant=YUNAN,
        service="budget",
        aggregate=aggregate,
        event=kind,
        data={"tenant": YUNAN, **data},
        actor=system_actor("budget.test", YUNAN),
    )


async def test_procurement_started_keeps_the_day_and_the_approval_never_expires(
    seeded: AsyncSession,
) -> None:
    sub = submission(YUNAN)  # 专业类: 第十二条第（二）项 审批意见有效期为两年
    await approve_all(seeded, await decided(seeded, sub))
    started = _event(
        "project", "procurement_started", project_id=str(sub.project_id), started_on="2026-12-01"
    )
    await on_procurement_started(seeded, started)
    _, doc = await documents.in_force(seeded, sub.project_id)
    assert doc.implementation_started_on == date(2026, 12, 1)
    assert doc.valid_until is not None
    # Past its validity, an approval acted on is not announced as expired.
    assert await sweep_expired(seeded, YUNAN, today=date(2099, 1, 1)) == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "project_id"),
        ({"project_id": "x"}, "project_id"),
        (
            {"project_id": "00000000-0000-0000-0000-000000000001", "started_on": "2026-13-01"},
            "started_on",
        ),
    ],
)
async def test_a_procurement_event_without_a_usable_project_or_day_is_rejected(
    seeded: AsyncSession, data: dict[str, str], field: str
) -> None:
    with pytest.raises(Reject) as rejected:
        await on_procurement_started(seeded, _event("project", "procurement_started", **data))
    assert rejected.value.reason.startswith(f"{field}:")


async def test_a_finance_answer_for_a_step_already_decided_changes_nothing(
    seeded: AsyncSession,
) -> None:
    sub = submission(YUNAN)
    wf = await approve_all(seeded, await decided(seeded, sub), until="finance_review")
    (finance,) = [s for s in await repository.steps_of(seeded, wf) if s.code == "finance_review"]
    answer = _event(
        "finance_review",
        "completed",
        step_id=str(finance.id),
        outcome="approve",
        approved_amount=900_000,
    )
    await on_finance_review_completed(seeded, answer)
    # The finance system may approve less than was asked, never more: capped at the ask.
    assert finance.state == "approved" and wf.approved_amount == 800_000
    again = _event("finance_review", "completed", step_id=str(finance.id), outcome="reject")
    await on_finance_review_completed(seeded, again)  # a second answer: already decided
    assert finance.state == "approved"
