"""ADR 0008's answers on the registry's routes, as callers meet them over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.tests.support import (
    CHAOAN,
    CHAOZHOU,
    PLAN_YEAR,
    SOFTWARE,
    XIANGQIAO,
    YUNAN,
    Caller,
    make_project,
    make_unit,
)


def body(unit_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"项目{uuid.uuid4().hex[:6]}",
        "unit_id": str(unit_id),
        "year": PLAN_YEAR,
        "facts": {**SOFTWARE, "amount": 300_000},
        **extra,
    }


def problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    out: dict[str, Any] = r.json()
    return out


async def test_unit_officer_without_unit_claim_is_refused_every_write(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    # Regression: this token acted for every unit of the county (fail-open).
    unit = await make_unit(tree_db, YUNAN)
    project = await make_project(tree_db, unit)
    claimless = caller.headers(YUNAN, "unit_officer")
    writes = [
        api.post("/v1/projects", headers=claimless, json=body(unit.id)),
        api.patch(
            f"/v1/projects/{project.id}",
            headers={**claimless, "If-Match": '"1"'},
            json={"name": "改名"},
        ),
        api.post(f"/v1/projects/{project.id}/submit", headers=claimless),
        api.post(
            "/v1/systems", headers=claimless, json={"unit_id": str(unit.id), "name": "某系统"}
        ),
        api.post(
            f"/v1/plans/{PLAN_YEAR}/items",
            headers=claimless,
            json={"unit_id": str(unit.id), "name": "需求", "project_class": "public", "amount": 1},
        ),
    ]
    for request in writes:
        assert problem(await request, 403)["code"] == "unit_claim_missing"
    # Reading stays open to the jurisdiction.
    r = await api.get(f"/v1/projects/{project.id}", headers=claimless)
    assert r.status_code == 200 and r.json()["name"] == project.name


async def test_unit_officer_acts_for_its_unit_only(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    mine, theirs = await make_unit(tree_db, YUNAN), await make_unit(tree_db, YUNAN)
    officer = caller.headers(YUNAN, "unit_officer", unit=mine.id)
    own = await api.post("/v1/projects", headers=officer, json=body(mine.id))
    assert own.status_code == 201, own.text

    foreign = problem(await api.post("/v1/projects", headers=officer, json=body(theirs.id)), 403)
    assert foreign["code"] == "other_unit" and foreign["field"] == "unit_id"
    assert str(theirs.id) not in foreign["detail"]  # the refusal never names the other unit

    other = await make_project(tree_db, theirs)
    edit = await api.patch(
        f"/v1/projects/{other.id}",
        headers={**officer, "If-Match": '"1"'},
        json={"name": "改别人的"},
    )
    assert problem(edit, 403)["code"] == "other_unit"
    submit = await api.post(f"/v1/projects/{other.id}/submit", headers=officer)
    assert problem(submit, 403)["code"] == "other_unit"
    move = await api.patch(
        f"/v1/projects/{own.json()['id']}",
        headers={**officer, "If-Match": own.headers["ETag"]},
        json={"unit_id": str(theirs.id)},
    )
    assert problem(move, 403)["code"] == "other_unit"
    # The bureau acts for every unit of its jurisdiction; nothing above changed.
    bureau = caller.headers(YUNAN, "bureau_officer")
    seen = (await api.get(f"/v1/projects/{other.id}", headers=bureau)).json()
    assert seen["name"] == other.name and seen["version"] == 1
    assert (await api.get(f"/v1/projects/{own.json()['id']}", headers=bureau)).json()[
        "unit_id"
    ] == str(mine.id)


async def test_sibling_county_cannot_see_a_project_overseer_cannot_change_it(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    unit = await make_unit(tree_db, CHAOAN)
    project = await make_project(tree_db, unit)
    for roles in (("bureau_officer",), ("overseer",), ("auditor",)):
        r = await api.get(f"/v1/projects/{project.id}", headers=caller.headers(XIANGQIAO, *roles))
        assert problem(r, 404)["code"] == "not_found"
    sibling = caller.headers(XIANGQIAO, "bureau_officer")
    edit = await api.patch(
        f"/v1/projects/{project.id}", headers={**sibling, "If-Match": '"1"'}, json={"name": "x"}
    )
    assert problem(edit, 404)["code"] == "not_found"

    # The city oversees 潮安: it reads the project ...
    city = caller.headers(CHAOZHOU, "bureau_officer", "overseer")
    assert (await api.get(f"/v1/projects/{project.id}", headers=city)).status_code == 200
    # ... and may not change it, nor terminate it.
    edit = await api.patch(
        f"/v1/projects/{project.id}", headers={**city, "If-Match": '"1"'}, json={"name": "x"}
    )
    assert problem(edit, 403)["code"] == "read_only_tenant"
    stop = await api.post(
        f"/v1/projects/{project.id}/terminate", headers=city, json={"reason": "越权"}
    )
    assert problem(stop, 403)["code"] == "read_only_tenant"
    # A bare overseer holds no write action at all: refused before the object is loaded.
    bare = caller.headers(CHAOZHOU, "overseer")
    r = await api.post(f"/v1/projects/{project.id}/submit", headers=bare)
    assert problem(r, 403)["code"] == "forbidden"


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("post", "/v1/units", {"name": "新单位"}),
        (
            "post",
            "/v1/tenants",
            {"code": "445302", "name": "云城区", "level": "county", "parent_code": "445300"},
        ),
        ("post", f"/v1/plans/{PLAN_YEAR}/consolidate", None),
    ],
)
async def test_roles_outside_an_action_are_refused(
    api: httpx.AsyncClient, caller: Caller, method: str, path: str, payload: Any
) -> None:
    for role in ("unit_officer", "expert", "auditor", "overseer", "finance_officer"):
        headers = caller.headers(YUNAN, role, unit=uuid.uuid4())
        r = await api.request(method, path, headers=headers, json=payload)
        assert problem(r, 403)["code"] == "forbidden", role


async def test_no_token_is_401(api: httpx.AsyncClient) -> None:
    assert problem(await api.get("/v1/projects"), 401)["code"] == "unauthenticated"
