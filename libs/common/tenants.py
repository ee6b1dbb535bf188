"""The tenant tree: owned by the registry, replicated into every other service by events.

The same table shape serves as the registry's book of record and as each
service's replica, so one handler keeps them in step. The tree is reference
data (a row *is* a tenant), not tenant-owned data: it has no ``tenant_id`` and
no RLS; who may read which node is decided by the caller's visible tenants.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import TENANT_PATTERN
from libs.common.db import cacheable_insert_of, parameters
from libs.common.events import Reject
from libs.vocab import TENANT_LEVELS as LEVEL_LABELS

__all__ = [
    "CHILD_LEVEL",
    "PARENT_LEVEL",
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


#: The level a tenant's parent must have (vocabulary.md: province > city > county);
#: a county has no children, so nobody can be placed under one.
PARENT_LEVEL: dict[str, str | None] = {"province": None, "city": "province", "county": "city"}
CHILD_LEVEL: dict[str, str | None] = {"province": "city", "city": "county", "county": None}


# The row _parse_tenant returns, every column a parameter of the upsert.
_TENANT_COLUMNS = ("code", "name", "level", "parent_code", "version", "updated_at")


def _parse_tenant(data: Mapping[str, Any]) -> dict[str, Any]:
    """The row a tenant payload describes; Reject naming the field when it cannot be one."""
    code = data.get("code")
    if not isinstance(code, str) or not TENANT_PATTERN.fullmatch(code):
        raise Reject(f"code: {code!r} 不是六位行政区划代码")
    # The subject's tenant is checked against data.tenant by the consumer; the
    # row it writes must be that same tenant, not another one named in `code`.
    if data.get("tenant", code) != code:
        raise Reject(f"code: 事件属于辖区 {data.get('tenant')!r}，却要修改行政区划 {code}")
    name = data.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise Reject(f"name: 行政区划 {code} 的名称缺失或过长")
    level = data.get("level")
    if level not in TENANT_LEVELS:
        raise Reject(f"level: 未知的行政区划级别 {level!r}")
    parent = data.get("parent_code")
    if parent is not None and (not isinstance(parent, str) or not TENANT_PATTERN.fullmatch(parent)):
        raise Reject(f"parent_code: {parent!r} 不是六位行政区划代码")
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise Reject(f"version: {version!r} 不是正整数")
    raw_at = data.get("updated_at")
    try:
        updated_at = datetime.fromisoformat(raw_at) if raw_at else datetime.now(UTC)
    except (TypeError, ValueError):
        raise Reject(f"updated_at: {raw_at!r} 不是 ISO 8601 时间") from None
    return {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent,
        "version": version,
        "updated_at": updated_at,
    }


async def _check_placement(session: AsyncSession, table: Table, row: Mapping[str, Any]) -> None:
    """Reject a row whose parent or children break province > city > county.

    A county placed under a county would make that county's overseer read a
    sibling (issue 16: a forged event moved 潮安 under 湘桥). The parent may be
    unknown to a replica that is still catching up; the parent's own event is
    then checked against this row when it arrives (its children's levels).
    """
    code, level, parent = row["code"], row["level"], row["parent_code"]
    expected = PARENT_LEVEL[level]
    if parent == code:
        raise Reject(f"parent_code: 行政区划 {code} 不能是自己的上级")
    if expected is None and parent is not None:
        raise Reject(f"parent_code: {code}（{LEVEL_LABELS[level]}）不应有上级（收到 {parent}）")
    if expected is not None and parent is None:
        raise Reject(f"parent_code: {code}（{LEVEL_LABELS[level]}）必须有上级行政区划")
    if parent is not None:
        parent_level = (
            await session.execute(sa.select(table.c.level).where(table.c.code == parent))
        ).scalar_one_or_none()
        if parent_level is not None and parent_level != expected:
            raise Reject(
                f"parent_code: {code}（{LEVEL_LABELS[level]}）的上级应为"
                f"{LEVEL_LABELS[str(expected)]}，而 {parent} 为{LEVEL_LABELS[parent_level]}"
            )
    child_level = CHILD_LEVEL[level]
    for child, found in (
        await session.execute(
            sa.select(table.c.code, table.c.level).where(table.c.parent_code == code)
        )
    ).all():
        if found != child_level:
            raise Reject(
                f"level: {code} 为{LEVEL_LABELS[level]}，其下级 {child} 为"
                f"{LEVEL_LABELS.get(found, found)}，级别不一致"
            )


async def apply_tenant_event(session: AsyncSession, table: Table, data: Mapping[str, Any]) -> bool:
    """Apply one ``tenant.created``/``tenant.updated`` payload to a replica; True if it changed.

    The replica takes only what the registry can have said:

    - versions count up by one per tenant: an older or equal version is a
      redelivery and changes nothing; a jump (a version the replica never saw
      the predecessor of) is rejected, the replica would otherwise hold a
      state the registry never had in this order;
    - a tenant never changes its level or its parent (the registry has no such
      operation), and its parent and children keep province > city > county.

    Everything else raises :class:`~libs.common.events.Reject` with the reason:
    the consumer dead-letters the event and nothing changes.
    """
    row = _parse_tenant(data)
    current = (
        (
            await session.execute(
                sa.select(table).where(table.c.code == row["code"]).with_for_update()
            )
        )
        .mappings()
        .first()
    )
    if current is not None:
        if row["version"] <= current["version"]:
            return False
        if row["version"] != current["version"] + 1:
            raise Reject(
                f"version: 行政区划 {row['code']} 在副本中为版本 {current['version']}，"
                f"收到版本 {row['version']}，中间的版本缺失"
            )
        if row["level"] != current["level"]:
            raise Reject(
                f"level: 行政区划 {row['code']} 的级别不能由 {current['level']} 改为 {row['level']}"
            )
        if row["parent_code"] != current["parent_code"]:
            raise Reject(
                f"parent_code: 行政区划 {row['code']} 的上级不能由 {current['parent_code']} "
                f"改为 {row['parent_code']}"
            )
    elif row["version"] != 1:
        raise Reject(
            f"version: 副本中没有行政区划 {row['code']}，收到版本 {row['version']}，应从版本 1 开始"
        )
    await _check_placement(session, table, row)
    await session.execute(cacheable_insert_of(table, _upsert_tenant), row)
    return True


def _upsert_tenant(table: Table) -> sa.Insert:
    stmt = insert(table).values(parameters(*_TENANT_COLUMNS))
    return stmt.on_conflict_do_update(
        index_elements=[table.c.code],
        set_={k: stmt.excluded[k] for k in ("name", "version", "updated_at")},
        where=table.c.version < stmt.excluded.version,
    )


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
        """The node of ``code`` (a row of the table), or None."""
        return self._nodes.get(code)

    def put(self, row: Mapping[str, Any]) -> None:
        """Add or replace one node in memory (the book of record just committed it).

        A tenant keeps its parent (see :func:`apply_tenant_event`), so only a
        new node changes the children map.
        """
        node = dict(row)
        previous = self._nodes.get(node["code"])
        nodes = {**self._nodes, node["code"]: node}
        children = self._children
        if previous is None and node.get("parent_code"):
            children = {k: set(v) for k, v in self._children.items()}
            children.setdefault(node["parent_code"], set()).add(node["code"])
        # Swap whole maps: a request reading the tree never sees half an update.
        self._nodes, self._children = nodes, children

    def __contains__(self, code: object) -> bool:
        return code in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)
