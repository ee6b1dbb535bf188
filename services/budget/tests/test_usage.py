"""Payments, usage reports and surplus returns on a real database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid
from libs.common.policies import policies_in
from libs.common.settings import service_settings
from libs.policy import PolicyRegistry
from services.budget.lines import service as lines
from services.budget.lines.schemas import LineCreate
from services.budget.models import BudgetLine, BudgetProject
from services.budget.tests.factories import LAIZHOU, add_project, events_of, laizhou_decision
from services.budget.usage import repository, service
from services.budget.usage.schemas import SurplusReturnCreate, UsageReportCreate

ACTOR = {"type": "user", "id": "officer@370683", "name": "李四", "tenant": LAIZHOU, "roles": []}


@pytest.fixture(scope="module")
def policies() -> PolicyRegistry:
    return policies_in(service_settings("budget"))


async def laizhou_project(db: AsyncSession, amount: int) -> tuple[BudgetProject, BudgetLine]:
    project = await add_project(
        db, tenant=LAIZHOU, amount=amount, approved_amount=amount, decision=laizhou_decision(amount)
    )
    out = await lines.create_line(
        db, project=project, body=LineCreate(kind="construction", amount=amount), actor=ACTOR
    )
    line = await db.get(BudgetLine, out["id"])
    assert line is not None
    return project, line


async def pay(
    db: AsyncSession, project: BudgetProject, line: BudgetLine, voucher: str, amount: int
) -> tuple[dict[str, object], bool]:
    return await service.record_disbursement(
        db,
        project=project,
        line=line,
        amount=amount,
        paid_on=date(2023, 7, 1),
        voucher_no=voucher,
        contract_id=None,
        source="api",
        actor=ACTOR,
    )


async def test_a_voucher_pays_once_and_never_past_the_lines_balance(db: AsyncSession) -> None:
    project, line = await laizhou_project(db, 500_000)
    first, created = await pay(db, project, line, "GK-1", 123_457)
    again, created_again = await pay(db, project, line, "GK-1", 123_457)
    assert created and not created_again and again == first
    with pytest.raises(Conflict) as reused:
        await pay(db, project, line, "GK-1", 1)
    assert reused.value.title == "凭证号已用于另一笔支付"
    with pytest.raises(Conflict) as over:
        await pay(db, project, line, "GK-2", 376_544)
    assert over.value.code == "over_line_balance"
    assert await repository.disbursed(db, project.id) == {line.id: 123_457}
    assert len(await events_of(db, "govproj.budget.disbursement.recorded.v1")) == 1


async def test_surplus_cites_the_packs_article_even_when_the_decision_predates_it(
    db: AsyncSession, policies: PolicyRegistry
) -> None:
    project, line = await laizhou_project(db, 300_000)
    await pay(db, project, line, "GK-3", 250_000)
    body = SurplusReturnCreate(amount=50_001, returned_on=date(2023, 12, 20), voucher_no="RET-1")
    with pytest.raises(Conflict) as too_much:
        await service.return_surplus(db, project=project, body=body, policies=policies, actor=ACTOR)
    assert "结余5万元（50,000元）" in (too_much.value.detail or "")
    returned = await service.return_surplus(
        db,
        project=project,
        body=body.model_copy(update={"amount": 50_000}),
        policies=policies,
        actor=ACTOR,
    )
    # 莱州 第十九条第一款 "结余资金按原渠道退回": from the pack, the decision had no surplus yet.
    assert returned["article"] == "第十九条第一款" and returned["balance"] == 0
    report = await service.report_usage(
        db,
        project=project,
        body=UsageReportCreate(period_start=date(2023, 1, 1), period_end=date(2023, 12, 31)),
        policies=policies,
        actor=ACTOR,
    )
    assert report["figures"]["disbursed_total"] == 250_000
    assert report["figures"]["surplus_returned_total"] == 50_000
    with pytest.raises(Invalid) as backwards:
        await service.report_usage(
            db,
            project=project,
            body=UsageReportCreate(period_start=date(2024, 2, 1), period_end=date(2024, 1, 1)),
            policies=policies,
            actor=ACTOR,
        )
    assert backwards.value.extra["field"] == "period_end"
