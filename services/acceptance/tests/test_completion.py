"""Completion, acceptance and operation as the service runs them (no HTTP)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid, Problem
from services.acceptance.completion import service
from services.acceptance.models import Deadline
from services.acceptance.review import service as review
from services.acceptance.tests.support.feed import (
    actor,
    document,
    laizhou_project,
    outbox_types,
    project,
    subject,
)


async def _acceptance_due(db: AsyncSession, pid: object) -> Deadline:
    return (
        await db.scalars(
            sa.select(Deadline)
            .where(Deadline.project_id == pid, Deadline.code == "acceptance_due")
            .execution_options(populate_existing=True)
        )
    ).one()


async def test_completion_dates_are_checked_and_a_refusal_changes_nothing(
    db: AsyncSession,
) -> None:
    pid = await laizhou_project(db, signed_on=date(2024, 1, 10))
    for bad, why in (
        (date.today() + timedelta(days=3), "不得晚于今天"),
        (date(2024, 1, 9), "不得早于"),
    ):
        with pytest.raises(Invalid) as caught:
            await service.declare_completion(
                db, await project(db, pid), completed_on=bad, note=None, actor=actor()
            )
        assert caught.value.status == 422 and why in str(caught.value.detail)
        assert caught.value.extra["field"] == "completed_on"
    assert (await project(db, pid)).state == "implementing"
    assert "govproj.acceptance.project.completed.v1" not in await outbox_types(db, pid)


async def test_completion_starts_the_six_months_of_article_23(db: AsyncSession) -> None:
    pid = await laizhou_project(db)
    await service.declare_completion(
        db, await project(db, pid), completed_on=date(2024, 3, 4), note=None, actor=actor()
    )
    due = await _acceptance_due(db, pid)
    # 莱州 第二十三条第二款: 项目建成后半年内.
    assert (due.due_on, due.article) == (date(2024, 9, 4), "第二十三条第二款")
    with pytest.raises(Conflict) as again:
        await service.declare_completion(
            db, await project(db, pid), completed_on=date(2024, 3, 5), note=None, actor=actor()
        )
    assert again.value.code == "illegal_state" and "已完工" in str(again.value.detail)


async def test_a_failed_acceptance_returns_the_project_and_a_second_one_can_pass(
    db: AsyncSession,
) -> None:
    pid = await laizhou_project(db, amount=800_000)  # < 500万: no mandatory reports
    await service.declare_completion(
        db, await project(db, pid), completed_on=date(2024, 3, 4), note=None, actor=actor()
    )
    report = await document(db, pid, "acceptance_report")
    opinions = [{"name": "赵专家", "opinion": "性能未达标", "conclusion": "fail"}]
    # 第二十一条 安全评估 and 第二十七条 数据资源 are owed whatever the amount.
    await review.request_review(db, await project(db, pid), note=None, actor=actor())
    for code, doc_type in (
        ("security_assessment", "security_assessment_report"),
        ("data_resource_catalog", "other"),
    ):
        doc = await document(db, pid, doc_type)
        await review.attach_evidence(
            db, await project(db, pid), code=code, document_ids=[doc], note=None, actor=actor()
        )

    async def hold(outcome: str, on: date) -> str:
        copy = await project(db, pid)
        await service.record_acceptance(
            db,
            copy,
            subject(),
            outcome=outcome,
            held_on=on,
            report_document_id=report,
            expert_opinions=opinions,
            conclusion=f"验收{outcome}",
            actor=actor(),
        )
        return copy.state

    assert await hold("failed", date(2024, 6, 1)) == "completed"
    assert (await _acceptance_due(db, pid)).status == "open"  # a failed one meets nothing
    assert await hold("passed", date(2024, 8, 1)) == "accepted"
    due = await _acceptance_due(db, pid)
    assert (due.status, due.met_on) == ("met", date(2024, 8, 1))
    assert [
        t.removeprefix("govproj.acceptance.")
        for t in await outbox_types(db, pid)
        if ".project." in t
    ] == [
        "project.completed.v1",
        "project.review_requested.v1",
        "project.review_returned.v1",
        # The second acceptance reopens the unit's check with the evidence already named.
        "project.review_requested.v1",
        "project.accepted.v1",
    ]


async def test_the_acceptance_report_must_be_this_projects_acceptance_report(
    db: AsyncSession,
) -> None:
    pid = await laizhou_project(db, amount=800_000)
    other = await laizhou_project(db, amount=800_000)
    await service.declare_completion(
        db, await project(db, pid), completed_on=date(2024, 3, 4), note=None, actor=actor()
    )
    elsewhere = await document(db, other, "acceptance_report")
    wrong_type = await document(db, pid, "test_report")
    # The wrong type is named as people know it (the labels), never by its code.
    for doc, why in (
        (elsewhere, "未归入本项目档案"),
        (wrong_type, "类型为测试/测评报告，验收报告须为验收报告"),
    ):
        with pytest.raises(Problem) as refused:
            await service.record_acceptance(
                db,
                await project(db, pid),
                subject(),
                outcome="passed",
                held_on=date(2024, 6, 1),
                report_document_id=doc,
                expert_opinions=[{"name": "赵", "opinion": "同意", "conclusion": "pass"}],
                conclusion="通过",
                actor=actor(),
            )
        assert refused.value.extra["field"] == "report_document_id"
        assert why in str(refused.value.detail)
    assert (await project(db, pid)).state == "completed"
