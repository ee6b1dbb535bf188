"""The tenant tree: add and rename jurisdictions. No HTTP; only flushes, never commits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import TenantContext, apply_tenant_context
from libs.common.errors import Conflict, Invalid, NotFound, StaleVersion
from libs.common.tenants import PARENT_LEVEL
from libs.vocab import TENANT_LEVELS as LEVEL_LABELS
from services.registry.models import publisher
from services.registry.tenants import repository


def payload(row: dict[str, Any]) -> dict[str, Any]:
    """The data of ``tenant.created`` / ``tenant.updated`` (every replica applies it)."""
    return {
        "tenant": row["code"],
        "code": row["code"],
        "name": row["name"],
        "level": row["level"],
        "parent_code": row["parent_code"],
        "version": row["version"],
        "updated_at": row["updated_at"].isoformat(),
    }


async def _check_parent(session: AsyncSession, *, level: str, parent_code: str | None) -> None:
    # A tenant's level fixes its parent's level (vocabulary.md: province > city > county).
    expected = PARENT_LEVEL[level]
    if expected is None:
        if parent_code is not None:
            raise Invalid("parent_code", f"{LEVEL_LABELS[level]}级行政区划不应有上级")
        return
    if parent_code is None:
        raise Invalid("parent_code", f"{LEVEL_LABELS[level]}级行政区划必须指定上级")
    parent = await repository.get(session, parent_code)
    if parent is None:
        raise Invalid("parent_code", f"上级行政区划 {parent_code} 不存在")
    if parent["level"] != expected:
        raise Invalid(
            "parent_code",
            f"{LEVEL_LABELS[level]}级行政区划的上级应为{LEVEL_LABELS[expected]}级，"
            f"而 {parent_code} 为{LEVEL_LABELS[parent['level']]}级",
        )


async def _announce(
    session: AsyncSession, event: str, row: dict[str, Any], actor: dict[str, Any]
) -> None:
    """Record ``tenant.<event>`` in the tenant's own context: its subject and RLS row carry its code."""
    await apply_tenant_context(session, TenantContext.own(row["code"]))
    await publisher.announce(
        session, "tenant", event, tenant=row["code"], actor=actor, data=payload(row)
    )


async def create_tenant(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    level: str,
    parent_code: str | None,
    actor: dict[str, Any],
) -> dict[str, Any]:
    """Add a jurisdiction to the tree and announce it (``tenant.created``)."""
    if await repository.get(session, code) is not None:
        raise Conflict("tenant_exists", "行政区划已存在", f"code: 行政区划 {code} 已存在")
    await _check_parent(session, level=level, parent_code=parent_code)
    row = {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent_code,
        "version": 1,
        "updated_at": datetime.now(UTC),
    }
    await repository.insert(session, row)
    await _announce(session, "created", row, actor)
    return row


async def update_tenant(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    expected_version: int | None,
    actor: dict[str, Any],
) -> dict[str, Any]:
    """Rename a jurisdiction (``tenant.updated``); ``If-Match`` guards against lost updates.

    Only the name changes: a tenant keeps its level and parent, which is what
    every replica holds the registry's events to (libs/common/tenants.py).
    """
    row = await repository.get(session, code, lock=True)
    if row is None:
        raise NotFound("行政区划", code)
    StaleVersion.check(row["version"], expected_version)
    row.update(name=name, version=row["version"] + 1, updated_at=datetime.now(UTC))
    await repository.rename(session, row)
    await _announce(session, "updated", row, actor)
    return row


async def list_tenants(session: AsyncSession, *, codes: set[str] | None) -> list[dict[str, Any]]:
    """The tenants among ``codes`` (None: all)."""
    return await repository.list_(session, codes=codes)
