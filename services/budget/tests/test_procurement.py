"""Procurement and contracts: the state they move, the events they emit, the document they cite."""

from __future__ import annotations

import json
import uuid
from datetime import date
from urllib.parse import unquote

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid
from libs.common.testing.database import in_tenant
from services.budget.procurement import repository, service
from services.budget.procurement.schemas import ContractCreate, ProcurementCreate
from services.budget.tests.factories import SIBLING, YUNAN, add_document, add_project, events_of

ACTOR = {"type": "user", "id": "officer@445322", "name": "张三", "tenant": YUNAN, "roles": []}
START = ProcurementCreate(method="inquiry", started_on=date(2027, 3, 1))


def contract(document_id: uuid.UUID) -> ContractCreate:
    return ContractCreate(
        supplier="云浮某科技有限公司",
        amount=48_000,
        signed_on=date(2027, 4, 1),
        document_id=document_id,
    )


async def test_procurement_then_a_contract_move_the_project_and_name_their_actor(
    db: AsyncSession,
) -> None:
    project = await add_project(db)
    started = await service.start_procurement(db, project=project, body=START, actor=ACTOR)
    assert project.status == "procuring" and started["method"] == "inquiry"
    document = await add_document(db, tenant=YUNAN, project_id=project.id, doc_type="contract")
    signed = await service.record_contract(
        db, project=project, body=contract(document), actor=ACTOR
    )
    assert project.status == "implementing" and signed["document_id"] == str(document)
    (started_event,) = await events_of(db, "govproj.budget.project.procurement_started.v1")
    (contracted,) = await events_of(db, "govproj.budget.project.contracted.v1")
    assert started_event["data"]["procurement_id"] == started["id"]
    assert contracted["data"]["contract_id"] == signed["id"]
    # The reasons are what the project's history shows people: labels and 万元, never codes.
    assert contracted["data"]["reason"] == "签订合同：云浮某科技有限公司，4.8万元（48,000元）"
    assert started_event["data"]["reason"] == "启动采购（询价）"
    for event in (started_event, contracted):
        assert event["data"]["submission"] == 1 and event["data"]["tenant"] == YUNAN
        # Who did it (ce-actor travels percent-encoded, CloudEvents NATS binding).
        assert json.loads(unquote(event["headers"]["ce-actor"]))["id"] == "officer@445322"


async def test_a_second_start_and_a_contract_before_procurement_are_conflicts(
    db: AsyncSession,
) -> None:
    project = await add_project(db, status="under_review")
    with pytest.raises(Conflict) as early:
        await service.record_contract(db, project=project, body=contract(uuid.uuid4()), actor=ACTOR)
    assert early.value.title == "项目尚未启动采购，不能登记合同"
    with pytest.raises(Conflict) as unapproved:
        await service.start_procurement(db, project=project, body=START, actor=ACTOR)
    assert "under_review（审核中）" in (unapproved.value.detail or "")
    approved = await add_project(db)
    await service.start_procurement(db, project=approved, body=START, actor=ACTOR)
    with pytest.raises(Conflict):
        await service.start_procurement(db, project=approved, body=START, actor=ACTOR)


@pytest.mark.parametrize("case", ["random_uuid", "sibling_county", "wrong_type", "other_project"])
async def test_a_contract_must_cite_a_contract_of_the_project_in_the_archive(
    db: AsyncSession, case: str
) -> None:
    # Issue 16 item 9: any UUID, or a sibling county's document, was accepted.
    project = await add_project(db, status="procuring")
    other = await add_project(db)
    if case == "random_uuid":
        cited = uuid.uuid4()
    elif case == "sibling_county":
        cited = await add_document(db, tenant=SIBLING, project_id=project.id, doc_type="contract")
    elif case == "wrong_type":
        cited = await add_document(
            db, tenant=YUNAN, project_id=project.id, doc_type="approval_document"
        )
    else:
        cited = await add_document(db, tenant=YUNAN, project_id=other.id, doc_type="contract")
    await in_tenant(db, YUNAN)
    with pytest.raises(Invalid) as refused:
        await service.record_contract(db, project=project, body=contract(cited), actor=ACTOR)
    assert refused.value.extra["field"] == "document_id"
    assert str(cited) in (refused.value.detail or "")
    assert project.status == "procuring"
    assert await repository.contracts_of(db, project) == []
    assert await events_of(db, "govproj.budget.project.contracted.v1") == []
