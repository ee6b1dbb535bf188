"""The tenant tree: the registry's book of record changes through its API, never by an event."""

from __future__ import annotations

import dataclasses
import uuid

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid, Problem
from libs.common.events import Event, Reject, make_event, system_actor
from services.registry.models import outbox
from services.registry.tenants import handlers, repository, service
from services.registry.tests.support import CHAOAN, XIANGQIAO, Caller, actor


def tenant_event(kind: str, data: dict[str, object]) -> Event:
    code = str(data["code"])
    return make_event(
        tenant=code,
        service="registry",
        aggregate="tenant",
        event=kind,
        data={"tenant": code, **data},
        actor=system_actor("forger", code),
    )


async def _own_event(db: AsyncSession, code: str) -> Event:
    """The registry's last event for ``code`` as its consumer receives it back."""
    row = (
        await db.execute(
            sa.select(outbox.c.id, outbox.c.payload)
            .where(outbox.c.tenant_id == code)
            .order_by(outbox.c.created_at.desc())
            .limit(1)
        )
    ).one()
    template = tenant_event("created", dict(row.payload))
    return dataclasses.replace(template, id=str(row.id), data=dict(row.payload))


async def test_a_tenant_fits_the_tree(tree_db: AsyncSession) -> None:
    cases = [
        ("445302", "county", None, "parent_code"),  # a county needs a parent
        ("445302", "county", "445102", "parent_code"),  # under a county: a sibling's overseer
        ("445302", "city", "445100", "parent_code"),  # a city under a city
        ("445302", "county", "999999", "parent_code"),  # an unknown parent
        ("450000", "province", "440000", "parent_code"),
    ]
    for code, level, parent, field in cases:
        with pytest.raises(Invalid) as exc:
            await service.create_tenant(
                tree_db, code=code, name="测试", level=level, parent_code=parent, actor=actor()
            )
        assert exc.value.extra["field"] == field, (level, parent)
    with pytest.raises(Conflict):
        await service.create_tenant(
            tree_db, code=CHAOAN, name="潮安区", level="county", parent_code="445100", actor=actor()
        )


async def test_a_rename_counts_versions_and_honours_if_match(tree_db: AsyncSession) -> None:
    row = await service.update_tenant(
        tree_db, code=CHAOAN, name="潮安区（新）", expected_version=1, actor=actor()
    )
    assert (row["version"], row["parent_code"]) == (2, "445100")
    with pytest.raises(Problem) as exc:
        await service.update_tenant(
            tree_db, code=CHAOAN, name="x", expected_version=1, actor=actor()
        )
    assert exc.value.status == 412


async def test_the_registrys_own_tenant_event_changes_nothing(tree_db: AsyncSession) -> None:
    await service.create_tenant(
        tree_db, code="445302", name="云城区", level="county", parent_code="445300", actor=actor()
    )
    own = await _own_event(tree_db, "445302")
    await handlers.on_tenant_event(tree_db, own)  # no error: it is what the registry said
    assert (await repository.get(tree_db, "445302") or {})["version"] == 1


async def test_a_forged_tenant_event_is_rejected_and_the_tree_stays(tree_db: AsyncSession) -> None:
    # Issue 16 item 8: this event moved 潮安 under 湘桥 in the registry's own table.
    forged = tenant_event(
        "updated",
        {
            "code": CHAOAN,
            "name": "潮安区",
            "level": "county",
            "parent_code": XIANGQIAO,
            "version": 2,
            "updated_at": "2026-12-01T00:00:00+00:00",
        },
    )
    with pytest.raises(Reject) as exc:
        await handlers.on_tenant_event(tree_db, forged)
    assert "未发布" in exc.value.reason
    row = await repository.get(tree_db, CHAOAN)
    assert row is not None and (row["parent_code"], row["version"]) == ("445100", 1)


async def test_a_tampered_copy_of_an_own_event_is_rejected(tree_db: AsyncSession) -> None:
    await service.create_tenant(
        tree_db, code="445302", name="云城区", level="county", parent_code="445300", actor=actor()
    )
    own = await _own_event(tree_db, "445302")
    tampered = dataclasses.replace(own, data={**own.data, "parent_code": "445100"})
    with pytest.raises(Reject):
        await handlers.on_tenant_event(tree_db, tampered)


async def test_a_created_tenant_is_visible_to_its_overseer_once_committed(
    api: httpx.AsyncClient, caller: Caller
) -> None:
    admin = caller.headers("440000", "platform_admin", **{"Idempotency-Key": str(uuid.uuid4())})
    r = await api.post(
        "/v1/tenants",
        headers=admin,
        json={"code": "445302", "name": "云城区", "level": "county", "parent_code": "445300"},
    )
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/v1/tenants/445302" and r.headers["ETag"] == '"1"'
    county = await api.get("/v1/tenants/445302", headers=caller.headers("445322", "auditor"))
    assert county.status_code == 404  # a sibling county never reads it
