"""GET /v1/projects/{id}: the project with its catalog links, read in one statement.

The read answers what the list and the writes answer for the same project (the
same fields, links in system order, the same ETag), and what the caller may not
see is a 404 problem+json, as before it became one statement.
"""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.catalog import service as catalog
from services.registry.catalog.schemas import SystemCreate
from services.registry.models import Unit
from services.registry.projects import repository
from services.registry.tests.support import CHAOAN, YUNAN, Caller, actor, make_project, make_unit


async def test_a_project_reads_with_its_links_in_system_order_and_its_version(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    unit: Unit = await make_unit(tree_db, YUNAN)
    systems = [
        await catalog.register(
            tree_db,
            tenant=YUNAN,
            body=SystemCreate(unit_id=unit.id, name=f"系统{uuid.uuid4().hex[:6]}"),
            actor=actor(YUNAN),
        )
        for _ in range(3)
    ]
    project = await make_project(tree_db, unit)
    relations = ["upgrade", "operate", "build"]
    await repository.replace_links(
        tree_db, project, [(s.id, r) for s, r in zip(systems, relations, strict=True)]
    )
    await tree_db.flush()
    headers = caller.headers(YUNAN, "unit_officer", unit=unit.id)

    read = await api.get(f"/v1/projects/{project.id}", headers=headers)

    assert read.status_code == 200, read.text
    assert read.headers["etag"] == f'"{project.version}"'
    body = read.json()
    by_system = sorted(zip(systems, relations, strict=True), key=lambda sr: sr[0].id)
    assert body["systems"] == [{"system_id": str(s.id), "relation": r} for s, r in by_system]
    assert body["state_label"] == "草稿"
    listed = await api.get("/v1/projects", headers=headers, params={"unit_id": str(unit.id)})
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == [body]


async def read_new_project(
    api: httpx.AsyncClient, caller: Caller, db: AsyncSession, *, as_tenant: str
) -> httpx.Response:
    """A new project of a 郁南县 unit, read by ``as_tenant``'s bureau."""
    project = await make_project(db, await make_unit(db, YUNAN))
    return await api.get(
        f"/v1/projects/{project.id}", headers=caller.headers(as_tenant, "bureau_officer")
    )


async def test_a_project_without_links_reads_an_empty_list(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    read = await read_new_project(api, caller, tree_db, as_tenant=YUNAN)
    assert read.status_code == 200, read.text
    assert read.json()["systems"] == []


async def test_another_jurisdictions_project_is_not_found(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    read = await read_new_project(api, caller, tree_db, as_tenant=CHAOAN)
    assert read.status_code == 404
    assert read.headers["content-type"].startswith("application/problem+json")
    problem = read.json()
    assert problem["title"] == "资源不存在" and "项目" in problem["detail"]
