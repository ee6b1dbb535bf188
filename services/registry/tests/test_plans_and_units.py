"""Annual plans and units: demand inside the window, consolidation, registration, replays."""

from __future__ import annotations

import uuid

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.deadlines import today_in_china
from libs.common.errors import Conflict, Invalid
from services.registry.models import Unit
from services.registry.plans import service
from services.registry.plans.schemas import DemandCreate
from services.registry.tests.support import (
    PLAN_YEAR,
    YUNAN,
    Caller,
    actor,
    make_unit,
    policies,
)


def demand(unit_id: uuid.UUID, amount: int = 500_000) -> DemandCreate:
    return DemandCreate(unit_id=unit_id, name="智慧教育平台", project_class="public", amount=amount)


async def test_demand_is_for_a_year_not_yet_begun(db: AsyncSession) -> None:
    unit = await make_unit(db)
    with pytest.raises(Invalid) as exc:
        await service.submit_demand(
            db,
            policies=policies(),
            tenant=YUNAN,
            year=today_in_china().year,
            body=demand(unit.id),
            actor=actor(),
        )
    assert exc.value.extra["field"] == "year"


async def test_consolidation_includes_all_but_the_excluded_and_closes_the_plan(
    db: AsyncSession,
) -> None:
    unit = await make_unit(db)
    kept, dropped = [
        await service.submit_demand(
            db,
            policies=policies(),
            tenant=YUNAN,
            year=PLAN_YEAR,
            body=demand(unit.id, n),
            actor=actor(),
        )
        for n in (300_000, 200_000)
    ]
    await service.consolidate(db, tenant=YUNAN, year=PLAN_YEAR, exclude=[dropped.id], actor=actor())
    plan = await service.read_plan(db, policies=policies(), tenant=YUNAN, year=PLAN_YEAR)
    assert plan["state"] == "consolidated" and plan["total_amount"] == 300_000
    assert (plan["item_count"], plan["excluded_count"]) == (2, 1)
    assert (kept.state, dropped.state) == ("included", "excluded")
    with pytest.raises(Conflict) as exc:
        await service.submit_demand(
            db,
            policies=policies(),
            tenant=YUNAN,
            year=PLAN_YEAR,
            body=demand(unit.id),
            actor=actor(),
        )
    assert exc.value.code == "plan_consolidated"


async def test_consolidation_names_an_unknown_exclusion(db: AsyncSession) -> None:
    unit = await make_unit(db)
    await service.submit_demand(
        db, policies=policies(), tenant=YUNAN, year=PLAN_YEAR, body=demand(unit.id), actor=actor()
    )
    with pytest.raises(Invalid) as exc:
        await service.consolidate(
            db, tenant=YUNAN, year=PLAN_YEAR, exclude=[uuid.uuid4()], actor=actor()
        )
    assert exc.value.extra["field"] == "exclude[0]"


async def test_a_replayed_unit_registration_makes_one_unit(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    bureau = caller.headers(YUNAN, "bureau_officer", **{"Idempotency-Key": "unit-1"})
    first = await api.post("/v1/units", headers=bureau, json={"name": "郁南县档案馆"})
    again = await api.post("/v1/units", headers=bureau, json={"name": "郁南县档案馆"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    count = await tree_db.scalar(
        sa.select(sa.func.count()).select_from(Unit).where(Unit.name == "郁南县档案馆")
    )
    assert count == 1
    other = await api.post("/v1/units", headers=bureau, json={"name": "另一个单位"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


async def test_every_post_declares_idempotency_key_and_every_route_a_response_model(
    api: httpx.AsyncClient,
) -> None:
    spec = (await api.get("/openapi.json")).json()
    for path, operations in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, op in operations.items():
            ok = op["responses"].get("200") or op["responses"].get("201")
            assert ok and "$ref" in str(ok["content"]["application/json"]["schema"]), (method, path)
            if method == "post":
                headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
                assert "Idempotency-Key" in headers, path


async def test_a_plan_of_a_sibling_is_invisible(api: httpx.AsyncClient, caller: Caller) -> None:
    r = await api.get(
        f"/v1/plans/{PLAN_YEAR}",
        params={"tenant": "445103"},
        headers=caller.headers("445102", "overseer", "bureau_officer"),
    )
    assert r.status_code == 404
