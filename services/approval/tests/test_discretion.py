"""The authority's discretion on a migrated database (RLS on, the app role).

Exceptions (坡头 第八条 waived for one project), authority-set parameters (坡头
政府采购限额) and what-if impact (郁南 50万 → 40万), each through the service
functions the routes call, in a transaction rolled back after each test.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Forbidden, Invalid
from libs.common.policies import policies_in
from libs.common.settings import CommonSettings
from libs.common.testing.database import in_tenant, migrated_database, rollback_session
from libs.policy.candidate import load_candidate
from services.approval.decisions.service import Submission, decide
from services.approval.discretion import impact, service
from services.approval.discretion.schemas import ExceptionCreate, ParameterCreate
from services.approval.tests.support import (
    POTOU,
    UNCATALOGUED,
    grant,
    person,
    potou_project,
    subject_actor,
)

service_db = migrated_database("approval")
db = rollback_session("service_db")

ZHANJIANG, YUNAN = "440800", "445322"
POLICIES = CommonSettings().policies_dir


async def submit(
    session: AsyncSession,
    tenant: str,
    facts: dict[str, Any],
    on: date,
    project: uuid.UUID | None = None,
) -> Any:
    row = await decide(
        session,
        Submission(
            tenant=tenant,
            project_id=project or uuid.uuid4(),
            submission=1,
            submitted_on=on,
            facts={**facts, "submitted_on": on.isoformat()},
            project_name="测试项目",
            unit_id=None,
            amount=int(facts["amount"]),
            source_event_id=str(uuid.uuid4()),
        ),
        policies=policies_in(POLICIES),
    )
    assert row is not None
    return row


# ---- exceptions --------------------------------------------------------------------
async def test_the_bureau_waives_potou_article_8_for_one_project(db: AsyncSession) -> None:
    await in_tenant(db, POTOU)
    bureau = person(POTOU, "bureau_officer")
    waived, other = uuid.uuid4(), uuid.uuid4()
    granted = await grant(db, bureau, waived)
    assert (granted.article, granted.authority) == ("第八条第（一）项", "区政务服务数据管理局")

    # The event names the actor and the article.
    row = (
        await db.execute(
            sa.text("SELECT type, headers, payload FROM approval.outbox WHERE type = :t"),
            {"t": "govproj.approval.exception.granted.v1"},
        )
    ).one()
    assert "bureau_officer-440804" in json.dumps(row.headers, ensure_ascii=False)
    assert row.payload["article"] == "第八条第（一）项"

    # The waived project is judged by 第十二条; another with the same facts is still barred.
    facts = potou_project(systems=[UNCATALOGUED])
    d = (await submit(db, POTOU, facts, date(2026, 3, 2), waived)).decision
    assert (d["route"]["code"], d["route"]["article"]) == ("filing", "第十二条第（二）项")
    assert d["exceptions"][0]["reason"].startswith("该系统已报送补录")
    barred = (await submit(db, POTOU, facts, date(2026, 3, 2), other)).decision
    assert barred["route"]["code"] == "ineligible"
    assert (
        "（可由区政务服务数据管理局决定例外，第八条第（一）项）" in barred["route"]["explanation"]
    )


async def test_a_unit_officer_cannot_waive(db: AsyncSession) -> None:
    await in_tenant(db, POTOU)
    with pytest.raises(Forbidden, match="区政务服务数据管理局"):
        await grant(db, person(POTOU, "unit_officer"), uuid.uuid4())


async def test_a_strict_rule_cannot_be_waived(db: AsyncSession) -> None:
    await in_tenant(db, POTOU)
    with pytest.raises(Invalid, match="rule"):
        await service.grant_exception(
            db,
            subject=person(POTOU, "bureau_officer"),
            body=ExceptionCreate(
                project_id=uuid.uuid4(),
                project_name="涉密项目",
                rule="scope.classified",
                reason="理由充分的说明",
            ),
            policies=policies_in(POLICIES),
            actor={},
        )


async def test_the_city_and_the_auditor_see_it_another_county_does_not(db: AsyncSession) -> None:
    await in_tenant(db, POTOU)
    await grant(db, person(POTOU, "bureau_officer"), uuid.uuid4())

    await in_tenant(db, YUNAN)  # a county of another city
    assert await service.list_exceptions(db, year=None) == []
    assert await service.exception_counts(db) == []

    await in_tenant(db, POTOU)  # 坡头's auditor
    assert len(await service.list_exceptions(db, year=None)) == 1

    await in_tenant(db, ZHANJIANG, visible=[POTOU])  # 湛江市, overseeing 坡头
    [count] = await service.exception_counts(db)
    assert (count.tenant, count.count) == (POTOU, 1)
    assert count.year == (await service.list_exceptions(db, year=None))[0].granted_on.year


# ---- parameters the bureau sets ------------------------------------------------------
def limit(value: int, document: str, on: date) -> ParameterCreate:
    return ParameterCreate(
        name="procurement_limit",
        value=value,
        document=document,
        document_date=on,
        effective_from=on,
    )


async def record(session: AsyncSession, body: ParameterCreate) -> Any:
    subject = person(POTOU, "bureau_officer")
    return await service.record_parameter(
        session,
        subject=subject,
        body=body,
        policies=policies_in(POLICIES),
        actor=subject_actor(subject),
    )


async def test_unset_limit_gives_a_provisional_decision_saying_why(db: AsyncSession) -> None:
    await in_tenant(db, POTOU)
    facts = potou_project(service_types=["software_development"], amount=300_000)
    d = (await submit(db, POTOU, facts, date(2026, 3, 2))).decision
    assert d["route"]["code"] == "approval" and d["provisional"] is True
    assert any(
        "政府采购限额（第十二条）尚未由区政务服务数据管理局设定" in r
        for r in d["provisional_reasons"]
    )


async def test_a_set_limit_is_cited_and_a_change_judges_later_submissions_only(
    db: AsyncSession,
) -> None:
    await in_tenant(db, POTOU)
    facts = potou_project(service_types=["software_development"], amount=600_000)
    await record(db, limit(1_000_000, "坡财采〔2026〕1号", date(2026, 1, 5)))
    before = (await submit(db, POTOU, facts, date(2026, 3, 2))).decision
    assert before["route"]["code"] == "filing"
    assert (before["parameters"][0]["document"], before["parameters"][0]["value"]) == (
        "坡财采〔2026〕1号",
        1_000_000,
    )

    await record(db, limit(500_000, "坡财采〔2026〕7号", date(2026, 6, 1)))
    after = (await submit(db, POTOU, facts, date(2026, 6, 2))).decision
    assert after["route"]["code"] == "approval"
    assert after["parameters"][0]["document"] == "坡财采〔2026〕7号"
    # A project submitted before the change keeps the value in force on its date …
    again = (await submit(db, POTOU, facts, date(2026, 5, 31))).decision
    assert again["route"]["code"] == "filing"
    # … and the decision stored before the change is untouched.
    stored = await db.scalar(
        sa.text(
            "SELECT decision->'route'->>'code' FROM approval.decisions WHERE submitted_on = :d"
        ),
        {"d": date(2026, 3, 2)},
    )
    assert stored == "filing"


async def test_only_the_named_authority_sets_a_parameter_and_only_of_its_type(
    db: AsyncSession,
) -> None:
    await in_tenant(db, POTOU)
    with pytest.raises(Invalid, match="value"):
        await record(
            db,
            ParameterCreate(
                name="procurement_limit",
                value="一百万",
                document="坡财采〔2026〕1号",
                document_date=date(2026, 1, 5),
                effective_from=date(2026, 1, 5),
            ),
        )
    with pytest.raises(Invalid, match="name"):
        await record(
            db,
            ParameterCreate(
                name="adjustment_limit",
                value=1,
                document="坡财采〔2026〕1号",
                document_date=date(2026, 1, 5),
                effective_from=date(2026, 1, 5),
            ),
        )


# ---- what-if impact over stored decisions ---------------------------------------------
async def test_yunan_threshold_40_wan_moves_exactly_the_filed_projects_from_40_to_50_wan(
    db: AsyncSession, tmp_path: Path
) -> None:
    await in_tenant(db, YUNAN)
    amounts = [90_000, 150_000, 399_999, 400_000, 420_000, 499_999, 500_000, 1_200_000]
    for i, amount in enumerate(amounts):
        facts = {
            "project_class": "public" if i % 2 else "professional",
            "service_types": ["software_development"],
            "amount": amount,
        }
        await submit(db, YUNAN, facts, date(2025, 4, 1 + i))
    # A project outside the 办法 stays outside whatever the threshold.
    await submit(
        db,
        YUNAN,
        {
            "project_class": "public",
            "service_types": ["software_development"],
            "amount": 450_000,
            "funding": "non_fiscal",
        },
        date(2025, 4, 20),
    )
    text = (POLICIES / "445322-yunan" / "2024-08-17.yaml").read_text(encoding="utf-8")
    text = text.replace("id: yunan-2024", "id: yunan-40", 1).replace(
        "approval_min: {type: amount, value: 500000", "approval_min: {type: amount, value: 400000"
    )
    path = tmp_path / "candidate.yaml"
    path.write_text(text, encoding="utf-8")
    report = await impact.run_impact(
        db, tenant=YUNAN, candidate=load_candidate(POLICIES, path), since=None
    )
    assert report.examined == len(amounts) + 1
    assert sorted(p.amount for p in report.projects) == [400_000, 420_000, 499_999]
    assert all((p.route_before, p.route_after) == ("filing", "approval") for p in report.projects)
    assert [(m.before, m.after, m.count, m.amount) for m in report.moves] == [
        ("filing", "approval", 3, 1_319_999)
    ]


async def test_evaluating_facts_uses_the_limit_the_bureau_set(db: AsyncSession) -> None:
    from services.approval.policy.service import judge

    await in_tenant(db, POTOU)
    await record(db, limit(1_000_000, "坡财采〔2026〕1号", date(2026, 1, 5)))
    facts = {
        **potou_project(service_types=["software_development"], amount=600_000),
        "submitted_on": "2026-03-02",
    }
    d = judge(policies_in(POLICIES), POTOU, facts, settings=await service.settings_of(db, POTOU))
    assert d.route.code == "filing"
    assert [p.document for p in d.parameters] == ["坡财采〔2026〕1号"]
