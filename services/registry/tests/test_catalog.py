"""The 政务信息系统目录 on a real database: registration, operation, decommissioning with evidence."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid
from libs.common.testing.database import in_tenant
from services.registry.catalog import service
from services.registry.catalog.schemas import SystemCreate
from services.registry.models import System, Unit
from services.registry.projects import repository as projects_repository
from services.registry.tests.support import (
    CHAOAN,
    YUNAN,
    Caller,
    actor,
    add_document,
    make_project,
    make_unit,
    project_body,
)


async def register(db: AsyncSession, tenant: str = YUNAN) -> System:
    unit = await make_unit(db, tenant)
    return await service.register(
        db,
        tenant=tenant,
        body=SystemCreate(unit_id=unit.id, name=f"系统{uuid.uuid4().hex[:6]}"),
        actor=actor(tenant),
    )


async def decommission(db: AsyncSession, system: System, evidence: uuid.UUID) -> System:
    return await service.decommission(
        db,
        system=system,
        disposition="destruction",
        evidence_document_id=evidence,
        reason="功能并入市级平台",
        actor=actor(),
    )


async def test_a_system_goes_from_planned_to_operation_once(db: AsyncSession) -> None:
    system = await register(db)
    assert (system.state, system.version) == ("planned", 1)
    await service.put_in_operation(db, system=system, actor=actor())
    assert (system.state, system.version) == ("in_operation", 2)
    with pytest.raises(Conflict):
        await service.put_in_operation(db, system=system, actor=actor())


async def test_a_name_is_taken_once_per_jurisdiction(db: AsyncSession) -> None:
    system = await register(db)
    with pytest.raises(Conflict) as exc:
        await service.register(
            db,
            tenant=YUNAN,
            body=SystemCreate(unit_id=system.unit_id, name=system.name),
            actor=actor(),
        )
    assert exc.value.code == "system_exists"


async def test_decommissioning_cites_a_live_archive_document_of_a_fitting_type(
    db: AsyncSession,
) -> None:
    system = await register(db)
    evidence = await add_document(db, YUNAN, doc_type="other")
    await in_tenant(db, YUNAN)
    await decommission(db, system, evidence)
    assert system.state == "decommissioned"
    assert system.evidence_document_id == str(evidence)
    with pytest.raises(Conflict):
        await decommission(db, system, evidence)


@pytest.mark.parametrize("case", ["missing", "sibling's", "deleted", "a contract"])
async def test_evidence_that_is_not_a_fitting_document_is_refused(
    db: AsyncSession, case: str
) -> None:
    system = await register(db)
    if case == "missing":
        doc_id = uuid.uuid4()
    elif case == "sibling's":
        doc_id = await add_document(db, CHAOAN)
    elif case == "deleted":
        doc_id = await add_document(db, YUNAN, deleted=True)
    else:
        doc_id = await add_document(db, YUNAN, doc_type="contract")
    await in_tenant(db, YUNAN)
    with pytest.raises(Invalid) as exc:
        await decommission(db, system, doc_id)
    assert exc.value.extra["field"] == "evidence_document_id"
    assert (system.state, system.evidence_document_id) == ("planned", None)


async def test_the_api_names_the_evidence_field(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    system = await register(tree_db)
    bureau = caller.headers(YUNAN, "bureau_officer")
    path = f"/v1/systems/{system.id}/decommission"
    body = {"disposition": "backup", "reason": "停用"}
    free_text = await api.post(path, headers=bureau, json={**body, "evidence_document_id": "DOC-1"})
    assert free_text.status_code == 422 and free_text.json()["field"] == "evidence_document_id"
    unknown = await api.post(
        path, headers=bureau, json={**body, "evidence_document_id": str(uuid.uuid4())}
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "evidence_document_id"
    evidence = await add_document(tree_db, YUNAN, doc_type="supervision_report")
    ok = await api.post(path, headers=bureau, json={**body, "evidence_document_id": str(evidence)})
    assert ok.status_code == 200, ok.text
    assert ok.json()["state"] == "decommissioned"


async def test_a_registered_system_says_where_it_lives_and_a_stale_edit_is_refused(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    unit = await make_unit(tree_db, YUNAN)
    bureau = caller.headers(YUNAN, "bureau_officer")
    made = await api.post(
        "/v1/systems", headers=bureau, json={"unit_id": str(unit.id), "name": "郁南县政务服务系统"}
    )
    assert made.status_code == 201, made.text
    assert made.headers["Location"] == f"/v1/systems/{made.json()['id']}"
    assert made.headers["ETag"] == '"1"'
    edit = {"description": "一网通办"}
    first = await api.patch(
        made.headers["Location"], headers={**bureau, "If-Match": '"1"'}, json=edit
    )
    assert first.status_code == 200 and first.headers["ETag"] == '"2"', first.text
    stale = await api.patch(
        made.headers["Location"], headers={**bureau, "If-Match": '"1"'}, json={"description": "旧"}
    )
    assert stale.status_code == 412 and stale.json()["code"] == "version_mismatch"
    shown = await api.get(made.headers["Location"], headers=bureau)
    assert shown.json()["description"] == "一网通办"


async def test_a_unit_officer_maintains_only_its_units_systems(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    system = await register(tree_db)
    other = caller.headers(YUNAN, "unit_officer", unit=uuid.uuid4())
    r = await api.post(f"/v1/systems/{system.id}/operate", headers=other)
    assert r.status_code == 403 and r.json()["code"] == "other_unit"
    own = caller.headers(YUNAN, "unit_officer", unit=system.unit_id)
    r = await api.post(f"/v1/systems/{system.id}/operate", headers=own)
    assert r.status_code == 200 and r.json()["state"] == "in_operation"


async def test_the_catalog_pages_without_repeating_or_skipping_a_system(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    for _ in range(5):
        await register(tree_db)
    elsewhere = await register(tree_db, CHAOAN)
    bureau = caller.headers(YUNAN, "bureau_officer")
    for sort in ("name", "-registered"):
        whole = await api.get("/v1/systems", headers=bureau, params={"sort": sort})
        assert whole.status_code == 200 and "X-Next-Cursor" not in whole.headers
        expected = [s["id"] for s in whole.json()]
        assert len(expected) >= 5 and str(elsewhere.id) not in expected
        seen: list[str] = []
        params: dict[str, str | int] = {"sort": sort, "limit": 2}
        while True:
            page = await api.get("/v1/systems", headers=bureau, params=params)
            assert page.status_code == 200 and len(page.json()) <= 2
            seen += [s["id"] for s in page.json()]
            if "X-Next-Cursor" not in page.headers:
                break
            params["cursor"] = page.headers["X-Next-Cursor"]
        assert seen == expected  # same order, nothing twice, nothing left out
    by_name = await api.get("/v1/systems", headers=bureau, params={"limit": 2})
    names = [s["name"] for s in by_name.json()]
    assert names == sorted(names)
    for params in (
        {"cursor": "不是游标"},
        {"cursor": by_name.headers["X-Next-Cursor"], "sort": "-registered"},
    ):
        bad = await api.get("/v1/systems", headers=bureau, params=params)
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert bad.json()["field"] == "cursor" and "游标无效" in bad.json()["detail"]
    unknown = await api.get("/v1/systems", headers=bureau, params={"sort": "colour"})
    assert unknown.status_code == 422 and "排序方式无效" in unknown.json()["detail"]


async def test_a_system_names_its_projects_in_the_one_read(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    system = await register(tree_db)
    unit = await tree_db.get(Unit, system.unit_id)
    assert unit is not None
    built = [await make_project(tree_db, unit) for _ in range(3)]
    for project, relation in zip(built, ("build", "upgrade", "operate"), strict=True):
        await projects_repository.replace_links(tree_db, project, [(system.id, relation)])
    await tree_db.flush()
    read = await api.get(
        f"/v1/systems/{system.id}", headers=caller.headers(YUNAN, "bureau_officer")
    )
    assert read.status_code == 200, read.text
    linked = {p["project_id"]: p for p in read.json()["projects"]}
    assert set(linked) == {str(p.id) for p in built}
    for project in built:
        assert linked[str(project.id)]["name"] == project.name
        assert linked[str(project.id)]["state"] == project.state


async def test_a_projects_catalog_links_read_the_same_in_every_answer(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    # create, edit and submit answer with the links they wrote or read, as GET reads them
    first, second, third = [await register(tree_db) for _ in range(3)]
    await tree_db.commit()
    bureau = caller.headers(YUNAN, "bureau_officer")
    links = [
        {"system_id": str(first.id), "relation": "upgrade"},
        {"system_id": str(second.id), "relation": "operate"},
    ]
    by_id = sorted(links, key=lambda link: uuid.UUID(link["system_id"]))
    body = project_body(first.unit_id).model_dump(mode="json") | {"systems": links}
    made = await api.post("/v1/projects", headers=bureau, json=body)
    assert made.status_code == 201, made.text
    assert made.json()["systems"] == by_id
    shown = await api.get(made.headers["Location"], headers=bureau)
    assert shown.json()["systems"] == by_id

    renamed = await api.patch(
        made.headers["Location"], headers={**bureau, "If-Match": '"1"'}, json={"name": "改名"}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["systems"] == by_id  # links untouched by the edit
    relinked = await api.patch(
        made.headers["Location"],
        headers={**bureau, "If-Match": '"2"'},
        json={"systems": [{"system_id": str(third.id), "relation": "build"}]},
    )
    assert relinked.json()["systems"] == [{"system_id": str(third.id), "relation": "build"}]

    submitted = await api.post(f"{made.headers['Location']}/submit", headers=bureau)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["systems"] == [{"system_id": str(third.id), "relation": "build"}]
    assert submitted.json()["submitted_facts"]["systems"] == [
        {"id": str(third.id), "relation": "build"}
    ]
    shown = await api.get(made.headers["Location"], headers=bureau)
    assert shown.json()["systems"] == submitted.json()["systems"]
