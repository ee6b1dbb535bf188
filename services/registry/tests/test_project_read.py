"""GET /v1/projects/{id}: the project with its catalog links, read in one statement.

The read answers what the list and the writes answer for the same project (the
same fields, links in system order, the same ETag), and what the caller may not
see is a 404 problem+json, as before it became one statement.
"""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.http import versioned
from services.registry.catalog import service as catalog
from services.registry.catalog.schemas import SystemCreate
from services.registry.models import Unit
from services.registry.projects import repository
from services.registry.projects.schemas import ProjectRead
from services.registry.tests.support import (
    CHAOAN,
    CHAOZHOU,
    PLAN_YEAR,
    XIANGQIAO,
    YUNAN,
    Caller,
    actor,
    make_project,
    make_unit,
)


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


async def test_the_lean_read_answers_byte_for_byte_what_the_session_path_answers(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    # The GET reads one prepared statement past the session and has pydantic write the
    # JSON; before, it read the same statement through the session and answered the
    # model's dump through JSONResponse (below). Text with quotes, a line break and
    # Chinese; contacts; a schedule; catalog links; an uncatalogued system.
    unit: Unit = await make_unit(tree_db, YUNAN)
    system = await catalog.register(
        tree_db,
        tenant=YUNAN,
        body=SystemCreate(unit_id=unit.id, name=f"系统{uuid.uuid4().hex[:6]}"),
        actor=actor(YUNAN),
    )
    project = await make_project(
        tree_db,
        unit,
        description='一期"建设"\n二期 \\ 运维',
        contacts=[{"name": "张三", "phone": "0766-1234567", "role": "项目负责人"}],
        schedule={"start": f"{PLAN_YEAR}-03-01", "end": f"{PLAN_YEAR}-12-31"},
        uncatalogued_systems=[{"name": "旧办公系统", "relation": "upgrade"}],
    )
    await repository.replace_links(tree_db, project, [(system.id, "operate")])
    await tree_db.flush()
    row = (await tree_db.execute(repository.READ.select, {"id": project.id})).one()
    fields = {**row._mapping, "state_label": "草稿"}
    expected = versioned(ProjectRead.model_validate(fields).model_dump(mode="json"), row.version)

    read = await api.get(
        f"/v1/projects/{project.id}", headers=caller.headers(YUNAN, "unit_officer", unit=unit.id)
    )

    assert read.status_code == 200, read.text
    assert read.content == expected.body
    for header in ("etag", "content-type", "content-length"):
        assert read.headers[header] == expected.headers[header], header
    assert read.json()["systems"] == [{"system_id": str(system.id), "relation": "operate"}]


async def test_a_city_reads_its_countys_project_as_the_county_does(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    project = await make_project(tree_db, await make_unit(tree_db, XIANGQIAO))
    path = f"/v1/projects/{project.id}"

    county = await api.get(path, headers=caller.headers(XIANGQIAO, "bureau_officer"))
    city = await api.get(path, headers=caller.headers(CHAOZHOU, "bureau_officer", "overseer"))
    # Without the overseer's role the city sees only its own jurisdiction.
    not_overseeing = await api.get(path, headers=caller.headers(CHAOZHOU, "bureau_officer"))

    assert county.status_code == city.status_code == 200, city.text
    assert city.content == county.content
    assert city.headers["etag"] == county.headers["etag"] == f'"{project.version}"'
    assert not_overseeing.status_code == 404
    assert not_overseeing.json()["title"] == "资源不存在"


async def test_a_missing_project_is_a_problem_naming_it(
    api: httpx.AsyncClient, caller: Caller
) -> None:
    missing = uuid.uuid4()
    read = await api.get(f"/v1/projects/{missing}", headers=caller.headers(YUNAN, "bureau_officer"))
    assert read.status_code == 404
    assert read.headers["content-type"].startswith("application/problem+json")
    problem = read.json()
    assert problem["title"] == "资源不存在"
    assert "项目" in problem["detail"] and str(missing) in problem["detail"]
    assert "etag" not in read.headers


async def test_the_read_still_documents_its_schema(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    answers = spec["paths"]["/v1/projects/{project_id}"]["get"]["responses"]
    schema = answers["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ProjectRead"}
    assert answers["404"]["content"] == {"application/problem+json": {}}
