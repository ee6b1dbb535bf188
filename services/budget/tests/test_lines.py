"""Budget lines against the pack's caps and the references they cite, on a real database."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Invalid, Problem
from libs.common.testing.database import in_tenant
from services.budget.lines import repository, service
from services.budget.lines.schemas import AdjustmentCreate, LineCreate
from services.budget.tests.factories import (
    CHAOZHOU,
    add_document,
    add_project,
    chaozhou_new_funds_decision,
    events_of,
    laizhou_decision,
)

XIANGQIAO = "445102"  # 湘桥区, a district 潮州市 oversees
YUNFU = "445300"  # 云浮市, another city

ACTOR = {"type": "user", "id": "officer@test", "name": "测试用户", "tenant": CHAOZHOU, "roles": []}


def new_funds_line(opinion: uuid.UUID | None) -> LineCreate:
    return LineCreate(
        kind="construction",
        amount=700_000,
        funding="new_fiscal",
        finance_opinion_document_id=opinion,
    )


async def test_a_line_that_passes_the_total_is_refused_with_its_article_and_nothing_is_recorded(
    db: AsyncSession,
) -> None:
    project = await add_project(db, tenant="370683", amount=1_000_000, decision=laizhou_decision())
    await service.create_line(
        db, project=project, body=LineCreate(kind="construction", amount=900_000), actor=ACTOR
    )
    with pytest.raises(Problem) as refused:
        await service.create_line(
            db, project=project, body=LineCreate(kind="supervision", amount=100_001), actor=ACTOR
        )
    assert refused.value.status == 422 and refused.value.code == "budget_exceeds_total"
    assert refused.value.extra["policy"]["document"] == "莱政办发〔2022〕6号"
    assert [x.kind for x in await repository.lines_of(db, project.id)] == ["construction"]
    assert len(await events_of(db, "govproj.budget.line.recorded.v1")) == 1


async def test_adjustments_are_capped_at_fifteen_percent_in_laizhou(db: AsyncSession) -> None:
    project = await add_project(db, tenant="370683", amount=1_000_000, decision=laizhou_decision())
    a = await service.create_line(
        db, project=project, body=LineCreate(kind="construction", amount=900_000), actor=ACTOR
    )
    b = await service.create_line(
        db, project=project, body=LineCreate(kind="supervision", amount=100_000), actor=ACTOR
    )
    move = AdjustmentCreate(
        from_line_id=a["id"], to_line_id=b["id"], amount=150_000, reason="技术方案优化"
    )
    moved = await service.adjust(db, project=project, body=move, actor=ACTOR)
    assert moved["adjustment_cap"] == 150_000 and moved["article"] == "第十九条第二款"
    with pytest.raises(Problem) as over:
        await service.adjust(
            db, project=project, body=move.model_copy(update={"amount": 1}), actor=ACTOR
        )
    assert (
        over.value.code == "adjustment_over_limit"
        and over.value.extra["article"] == "第十九条第二款"
    )


async def test_chaozhou_new_funds_need_the_finance_opinion_first(db: AsyncSession) -> None:
    project = await add_project(
        db, tenant=CHAOZHOU, status="filed", amount=800_000, decision=chaozhou_new_funds_decision()
    )
    with pytest.raises(Problem) as missing:
        await service.create_line(db, project=project, body=new_funds_line(None), actor=ACTOR)
    assert missing.value.code == "finance_opinion_missing"
    assert missing.value.extra["article"] == "第十三条"


@pytest.mark.parametrize(
    "case",
    ["random_uuid", "other_city", "county_below", "other_project", "wrong_type", "deleted"],
)
async def test_the_finance_opinion_must_be_this_projects_opinion_in_the_archive(
    db: AsyncSession, case: str
) -> None:
    # Issue 16 item 9: any UUID, or another jurisdiction's document, was accepted as 财政部门意见.
    project = await add_project(
        db, tenant=CHAOZHOU, status="filed", amount=800_000, decision=chaozhou_new_funds_decision()
    )
    other = await add_project(db, tenant=CHAOZHOU, status="filed")
    opinion = {
        "random_uuid": lambda: _uuid(),
        "other_city": lambda: add_document(
            db, tenant=YUNFU, project_id=project.id, doc_type="review_opinion"
        ),
        # Visible to the city (it oversees the district), still not the project's tenant.
        "county_below": lambda: add_document(
            db, tenant=XIANGQIAO, project_id=project.id, doc_type="review_opinion"
        ),
        "other_project": lambda: add_document(
            db, tenant=CHAOZHOU, project_id=other.id, doc_type="review_opinion"
        ),
        "wrong_type": lambda: add_document(
            db, tenant=CHAOZHOU, project_id=project.id, doc_type="contract"
        ),
        "deleted": lambda: add_document(
            db, tenant=CHAOZHOU, project_id=project.id, doc_type="review_opinion", deleted=True
        ),
    }[case]()
    cited = await opinion
    await in_tenant(db, CHAOZHOU, visible=(XIANGQIAO,))
    with pytest.raises(Invalid) as refused:
        await service.create_line(db, project=project, body=new_funds_line(cited), actor=ACTOR)
    assert refused.value.status == 422
    assert refused.value.extra["field"] == "finance_opinion_document_id"
    assert refused.value.title == "输入数据不合法"
    assert await repository.lines_of(db, project.id) == []


async def test_a_real_opinion_of_the_project_is_accepted(db: AsyncSession) -> None:
    project = await add_project(
        db, tenant=CHAOZHOU, status="filed", amount=800_000, decision=chaozhou_new_funds_decision()
    )
    opinion = await add_document(
        db, tenant=CHAOZHOU, project_id=project.id, doc_type="review_opinion"
    )
    line = await service.create_line(db, project=project, body=new_funds_line(opinion), actor=ACTOR)
    assert line["finance_opinion_document_id"] == str(opinion)
    (recorded,) = await events_of(db, "govproj.budget.line.recorded.v1")
    assert recorded["data"]["finance_opinion_document_id"] == str(opinion)
    assert recorded["data"]["submission"] == 1 and recorded["data"]["tenant"] == CHAOZHOU


async def _uuid() -> uuid.UUID:
    return uuid.uuid4()
