"""Decisions on submissions, on the real packs and a real database (rolled back per test)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.policy import Pack
from services.approval.decisions.service import DecisionFailed, Submission, decide
from services.approval.models import Workflow
from services.approval.tests.support import PUBLIC, YUNAN, decided, policies, submission


async def test_a_submission_is_decided_once_and_a_redelivery_opens_nothing(
    seeded: AsyncSession,
) -> None:
    sub = submission(YUNAN, PUBLIC)
    wf = await decided(seeded, sub)
    # 郁府办〔2024〕21号 第十条: 800,000 yuan goes through 立项.
    assert (wf.route, wf.route_article, wf.state) == ("approval", "第十条", "open")
    assert await decide(seeded, sub, policies=policies()) is None
    count = await seeded.scalar(
        sa.select(sa.func.count())
        .select_from(Workflow)
        .where(Workflow.project_id == sub.project_id)
    )
    assert count == 1


async def test_decision_inputs_add_facts_before_the_pack_judges(seeded: AsyncSession) -> None:
    sub = submission(YUNAN, {**PUBLIC, "amount": 40_000, "software_amount": 40_000})

    async def bigger(session: AsyncSession, sub: Submission, pack: Pack) -> dict[str, Any]:
        # An input besides the submitted facts, seeing the submission and the pack in force.
        assert pack.tenant == sub.tenant == YUNAN
        return {"amount": 800_000, "software_amount": 800_000}

    # 40,000 yuan alone: 自行管理 (第十条), the workflow closes at once.
    assert (await decided(seeded, sub)).state == "closed"
    again = submission(YUNAN, dict(sub.facts))
    decision = await decide(seeded, again, policies=policies(), inputs=[bigger])
    assert decision is not None and decision.route == "approval"
    assert decision.facts["amount"] == 800_000  # what was judged is what is stored


async def test_a_submission_no_pack_covers_fails_with_the_problem(seeded: AsyncSession) -> None:
    with pytest.raises(DecisionFailed) as failed:
        await decided(seeded, submission(YUNAN, on=date(1999, 1, 1)))
    assert failed.value.problem["code"] == "no_policy_in_force"
    assert failed.value.problem["date"] == "1999-01-01"
