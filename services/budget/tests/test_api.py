"""The budget API on one app (httpx.ASGITransport): who may do what, typed answers, replays."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.idempotency import HEADER
from libs.common.testing.database import in_tenant
from services.budget.models import BudgetLine
from services.budget.tests.client import Api
from services.budget.tests.factories import CITY, SIBLING, YUNAN, add_document, add_project, person

LINE = {"kind": "construction", "amount": 40_000}


def problem(r: Any) -> dict[str, Any]:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    body: dict[str, Any] = r.json()
    return body


def test_every_route_has_a_typed_answer_and_every_post_declares_idempotency_key(
    budget_app: FastAPI,
) -> None:
    doc = budget_app.openapi()
    routes = [
        (method, path, op)
        for path, ops in doc["paths"].items()
        if path.startswith("/v1/")
        for method, op in ops.items()
    ]
    assert len(routes) == 15  # 8 POST, 7 GET
    for method, path, op in routes:
        ok = op["responses"].get("201") or op["responses"]["200"]
        schema = ok["content"]["application/json"]["schema"]
        typed = schema.get("$ref") or schema.get("items", {}).get("$ref")
        assert typed, (method, path, schema)
        if method == "post":
            headers = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
            assert headers == [HEADER], (path, headers)


async def test_a_unit_officer_writes_only_for_the_unit_in_the_token(
    api: Api, db: AsyncSession
) -> None:
    unit = uuid.uuid4()
    project = await add_project(db, unit=unit)
    path = f"/v1/projects/{project.id}/lines"
    # ADR 0008: no unit claim denies, it never means "every unit".
    bare = await api.post(path, who=person(YUNAN), json=LINE)
    assert bare.status_code == 403 and problem(bare)["code"] == "unit_claim_missing"
    other = await api.post(path, who=person(YUNAN, unit=uuid.uuid4()), json=LINE)
    assert other.status_code == 403 and problem(other)["field"] == "unit_id"
    assert str(unit) not in other.text  # the other unit is never named
    mine = await api.post(path, who=person(YUNAN, unit=unit), json=LINE)
    assert mine.status_code == 201, mine.text
    bureau = await api.post(
        path, who=person(YUNAN, "bureau_officer"), json={"kind": "supervision", "amount": 1}
    )
    assert bureau.status_code == 201, bureau.text
    await in_tenant(db, YUNAN)
    assert await db.scalar(sa.select(sa.func.count()).select_from(BudgetLine)) == 2


async def test_other_jurisdictions_see_nothing_and_the_city_only_reads(
    api: Api, db: AsyncSession
) -> None:
    project = await add_project(db)
    path = f"/v1/projects/{project.id}"
    sibling = person(SIBLING, "bureau_officer")
    assert (await api.get(f"{path}/budget", who=sibling)).status_code == 404
    assert (await api.post(f"{path}/lines", who=sibling, json=LINE)).status_code == 404
    city = person(CITY, "overseer", "bureau_officer")
    seen = await api.get(f"{path}/budget", who=city)
    assert seen.status_code == 200 and seen.json()["tenant"] == YUNAN
    write = await api.post(f"{path}/lines", who=city, json=LINE)
    assert write.status_code == 403 and problem(write)["code"] == "read_only_tenant"
    expert = await api.post(f"{path}/procurement", who=person(YUNAN, "expert"), json={})
    assert expert.status_code == 403 and "implementation.write" not in expert.text
    missing = await api.get(f"/v1/projects/{uuid.uuid4()}/lines", who=person(YUNAN, "auditor"))
    assert missing.status_code == 404


async def test_the_same_idempotency_key_replays_the_first_answer_and_records_once(
    api: Api, db: AsyncSession
) -> None:
    project = await add_project(db)
    bureau = person(YUNAN, "bureau_officer")
    key = {HEADER: f"line-{project.id}"}
    path = f"/v1/projects/{project.id}/lines"
    first = await api.post(path, who=bureau, json=LINE, headers=key)
    again = await api.post(path, who=bureau, json=LINE, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    reused = await api.post(path, who=bureau, json={**LINE, "amount": 1}, headers=key)
    assert reused.status_code == 422 and problem(reused)["field"] == HEADER
    lines = await api.get(path, who=bureau)
    assert [x["amount"] for x in lines.json()] == [40_000]


async def test_a_contract_citing_a_sibling_countys_document_is_422_and_changes_nothing(
    api: Api, db: AsyncSession
) -> None:
    project = await add_project(db, status="procuring")
    foreign = await add_document(
        db, tenant=SIBLING, project_id=project.id, doc_type="contract", back_to=YUNAN
    )
    body = {"supplier": "某公司", "amount": 1_000, "signed_on": "2027-04-01"}
    bureau = person(YUNAN, "bureau_officer")
    path = f"/v1/projects/{project.id}/contracts"
    for cited in (foreign, uuid.uuid4()):
        r = await api.post(path, who=bureau, json={**body, "document_id": str(cited)})
        assert r.status_code == 422 and problem(r)["field"] == "document_id", r.text
        assert problem(r)["title"] == "输入数据不合法" and "电子档案" in problem(r)["detail"]
    assert (await api.get(path, who=bureau)).json() == []
    own = await add_document(db, tenant=YUNAN, project_id=project.id, doc_type="contract")
    ok = await api.post(path, who=bureau, json={**body, "document_id": str(own)})
    assert ok.status_code == 201, ok.text
    summary = (await api.get(f"/v1/projects/{project.id}/budget", who=bureau)).json()
    assert summary["status"] == "implementing"
