"""A service's tenant replica takes only what the registry can have said (issue 16 item 8)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Reject
from libs.common.tenants import CachedTenantTree, apply_tenant_event, tenant_table
from libs.common.testing.database import migrated_database, rollback_session

approval_db = migrated_database("approval")
db = rollback_session("approval_db")
# The approval service's replica: any service's has this shape.
replica = tenant_table(MetaData(schema="approval"))

TREE = [
    ("440000", "广东省", "province", None),
    ("445100", "潮州市", "city", "440000"),
    ("445102", "湘桥区", "county", "445100"),
    ("445103", "潮安区", "county", "445100"),
    ("445300", "云浮市", "city", "440000"),
]


def payload(
    code: str, name: str, level: str, parent: str | None, version: int = 1
) -> dict[str, Any]:
    return {
        "tenant": code,
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent,
        "version": version,
        "updated_at": "2026-12-01T00:00:00+00:00",
    }


@pytest.fixture
async def tree(db: AsyncSession) -> AsyncSession:
    for row in TREE:
        assert await apply_tenant_event(db, replica, payload(*row))
    return db


async def _row(db: AsyncSession, code: str) -> tuple[str, str | None, int]:
    row = (
        await db.execute(
            sa.select(replica.c.name, replica.c.parent_code, replica.c.version).where(
                replica.c.code == code
            )
        )
    ).one()
    return row.name, row.parent_code, row.version


async def test_renames_apply_in_order_and_redeliveries_change_nothing(tree: AsyncSession) -> None:
    assert await apply_tenant_event(
        tree, replica, payload("445103", "潮安区（新）", "county", "445100", 2)
    )
    assert not await apply_tenant_event(
        tree, replica, payload("445103", "潮安区", "county", "445100", 1)
    )
    assert not await apply_tenant_event(
        tree, replica, payload("445103", "旧名", "county", "445100", 2)
    )
    assert await _row(tree, "445103") == ("潮安区（新）", "445100", 2)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        # The forged move: a county under its sibling would let 湘桥's overseer read 潮安.
        (payload("445103", "潮安区", "county", "445102", 2), "parent_code"),
        # Moved under another city: the registry has no such operation.
        (payload("445103", "潮安区", "county", "445300", 2), "parent_code"),
        (payload("445103", "潮安区", "city", "445100", 2), "level"),
        (payload("445103", "潮安区", "county", "445100", 5), "version"),
        (payload("445122", "饶平县", "county", "445100", 3), "version"),
        (payload("445122", "饶平县", "county", "445103"), "parent_code"),
        (payload("445122", "饶平县", "city", "445100"), "parent_code"),
        (payload("450000", "广西", "province", "440000"), "parent_code"),
        (payload("445122", "饶平县", "county", None), "parent_code"),
        (payload("445122", "饶平县", "district", "445100"), "level"),
        ({**payload("445122", "饶平县", "county", "445100"), "tenant": "445103"}, "code"),
    ],
)
async def test_events_the_registry_cannot_have_sent_are_rejected(
    tree: AsyncSession, event: dict[str, Any], field: str
) -> None:
    with pytest.raises(Reject) as exc:
        await apply_tenant_event(tree, replica, event)
    assert exc.value.reason.startswith(f"{field}:")
    assert await _row(tree, "445103") == ("潮安区", "445100", 1)
    assert (
        await tree.scalar(
            sa.select(sa.func.count())
            .select_from(replica)
            .where(replica.c.code.in_(["445122", "450000"]))
        )
        == 0
    )


async def test_a_parent_arriving_late_is_checked_against_its_children(db: AsyncSession) -> None:
    # A replica catching up may meet a county before its city: accepted for now ...
    assert await apply_tenant_event(db, replica, payload("445322", "郁南县", "county", "445300"))
    # ... and a "parent" whose level contradicts it is refused when it comes.
    with pytest.raises(Reject) as exc:
        await apply_tenant_event(db, replica, payload("445300", "云浮", "county", "445100"))
    assert exc.value.reason.startswith("level:")
    assert await apply_tenant_event(db, replica, payload("440000", "广东省", "province", None))
    assert await apply_tenant_event(db, replica, payload("445300", "云浮市", "city", "440000"))


def test_the_in_memory_tree_takes_a_committed_node_without_a_reload() -> None:
    tree = CachedTenantTree(replica)
    for code, name, level, parent in TREE:
        tree.put({"code": code, "name": name, "level": level, "parent_code": parent})
    assert tree.descendants("445100") == {"445102", "445103"}
    tree.put({"code": "445122", "name": "饶平县", "level": "county", "parent_code": "445100"})
    assert tree.descendants("445100") == {"445102", "445103", "445122"}
    assert tree.ancestors("445122") == ["445100", "440000"]
    tree.put({"code": "445103", "name": "潮安区（新）", "level": "county", "parent_code": "445100"})
    assert (tree.get("445103") or {})["name"] == "潮安区（新）"
    assert tree.descendants("445102") == set()
