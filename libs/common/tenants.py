"""The tenant tree: owned by the registry, replicated into every other service by events.

The same table shape serves as the registry's book of record and as each
service's replica, so one handler keeps them in step. The tree is reference
data (a row *is* a tenant), not tenant-owned data: it has no ``tenant_id`` and
no RLS; who may read which node is decided by the caller's visible tenants.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "TENANT_EVENT_TYPES",
    "TENANT_LEVELS",
    "CachedTenantTree",
    "ancestors",
    "apply_tenant_event",
    "descendants",
    "tenant_table",
]

TENANT_LEVELS = ("province", "city", "county")
TENANT_EVENT_TYPES = (
    "govproj.registry.tenant.created.v1",
    "govproj.registry.tenant.updated.v1",
)


def tenant_table(metadata: MetaData) -> Table:
    """Add the ``tenants`` table to a service's metadata (its own schema)."""
    return Table(
        "tenants",
        metadata,
        sa.Column("code", sa.String(6), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_code", sa.String(6), nullable=True, index=True),
        # Monotonic per tenant: replicas apply an update only if it is newer,
        # so redelivered or reordered events cannot roll a name back.
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("code ~ '^[0-9]{6}$'", name="code_is_division_code"),
        sa.CheckConstraint("level IN ('province', 'city', 'county')", name="level_known"),
    )


async def apply_tenant_event(session: AsyncSession, table: Table, data: dict[str, Any]) -> None:
    """Upsert one tenant from a ``tenant.created``/``tenant.updated`` payload, newest version wins."""
    row = {
        "code": data["code"],
        "name": data["name"],
        "level": data["level"],
        "parent_code": data.get("parent_code"),
        "version": int(data.get("version", 1)),
        "updated_at": datetime.fromisoformat(data["updated_at"])
        if data.get("updated_at")
        else datetime.now(UTC),
    }
    stmt = insert(table).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.code],
        set_={
            k: stmt.excluded[k] for k in ("name", "level", "parent_code", "version", "updated_at")
        },
        where=table.c.version < stmt.excluded.version,
    )
    await session.execute(stmt)


async def descendants(session: AsyncSession, table: Table, code: str) -> set[str]:
    """Every tenant below ``code`` in the tree (not including it)."""
    schema = table.schema
    qualified = f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'
    result = await session.execute(
        sa.text(
            f"WITH RECURSIVE sub(code) AS ("  # noqa: S608 - schema and table are ours, not input
            f" SELECT code FROM {qualified} WHERE parent_code = :code"
            f" UNION SELECT t.code FROM {qualified} t JOIN sub ON t.parent_code = sub.code)"
            " SELECT code FROM sub"
        ),
        {"code": code},
    )
    return {r[0] for r in result}


async def ancestors(session: AsyncSession, table: Table, code: str) -> list[str]:
    """The chain above ``code``, nearest first."""
    chain: list[str] = []
    current: str | None = code
    while current is not None:
        parent = (
            await session.execute(sa.select(table.c.parent_code).where(table.c.code == current))
        ).scalar_one_or_none()
        if parent is None or parent in chain:
            break
        chain.append(parent)
        current = parent
    return chain


class CachedTenantTree:
    """An in-memory copy of a service's tenant table, for per-request visibility checks.

    The whole tree is small (a province has a few hundred divisions), so each
    process keeps it in memory and reloads it when a tenant event is applied
    and every ``refresh_seconds`` in any case.
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self._children: dict[str, set[str]] = {}
        self._nodes: dict[str, dict[str, Any]] = {}

    async def load(self, session: AsyncSession) -> None:
        rows = (await session.execute(sa.select(self.table))).mappings().all()
        children: dict[str, set[str]] = {}
        nodes: dict[str, dict[str, Any]] = {}
        for row in rows:
            nodes[row["code"]] = dict(row)
            if row["parent_code"]:
                children.setdefault(row["parent_code"], set()).add(row["code"])
        self._children, self._nodes = children, nodes

    def descendants(self, code: str) -> set[str]:
        """Every tenant below ``code``, from memory."""
        found: set[str] = set()
        stack = [code]
        while stack:
            for child in self._children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def ancestors(self, code: str) -> list[str]:
        """The chain above ``code``, nearest first."""
        chain: list[str] = []
        node = self._nodes.get(code)
        while node and node.get("parent_code") and node["parent_code"] not in chain:
            chain.append(node["parent_code"])
            node = self._nodes.get(node["parent_code"])
        return chain

    def get(self, code: str) -> dict[str, Any] | None:
        return self._nodes.get(code)

    def __contains__(self, code: object) -> bool:
        return code in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)
