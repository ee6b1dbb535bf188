"""Catalog domain logic: register, edit facts, put into operation, decommission, count. Only flushes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Problem
from libs.common.events import emit
from services.registry.catalog.schemas import SystemCreate
from services.registry.models import ProjectSystem, System, Unit
from services.registry.policy import SHANGHAI, today

FACTS = (
    "shares_data",
    "duplicate_collection",
    "crypto_compliant",
    "security_compliant",
    "secure_reliable",
    "hosted_on_gov_cloud",
)
COUNT_ARTICLE = (
    "坡头区政务信息化项目管理办法（征求意见稿） 第七条：本单位政务信息系统总量“只减不增”"
)


def _now() -> datetime:
    return datetime.now(UTC)


def _payload(system: System) -> dict[str, Any]:
    return {
        "tenant": system.tenant_id,
        "system_id": str(system.id),
        "unit_id": str(system.unit_id),
        "name": system.name,
        "state": system.state,
        "version": system.version,
        **{k: getattr(system, k) for k in FACTS},
    }


async def _emit(
    session: AsyncSession, system: System, event: str, actor: dict[str, Any], **extra: Any
) -> None:
    await emit(
        session,
        tenant=system.tenant_id,
        service="registry",
        aggregate="system",
        event=event,
        data={**_payload(system), **extra},
        actor=actor,
    )


def _start_of(on: date) -> datetime:
    """Midnight in China at the start of ``on``, as a UTC instant."""
    return datetime.combine(on, time(0), SHANGHAI).astimezone(UTC)


async def count_at(session: AsyncSession, unit_id: uuid.UUID, at: datetime) -> int:
    """Systems of the unit registered and not yet decommissioned at instant ``at``."""
    return int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(System)
            .where(
                System.unit_id == unit_id,
                System.registered_at < at,
                sa.or_(System.decommissioned_at.is_(None), System.decommissioned_at >= at),
            )
        )
        or 0
    )


async def unit_counts(
    session: AsyncSession, unit_id: uuid.UUID, months: int = 12
) -> dict[str, Any]:
    """The unit's count of live systems at the start of each month, and 只减不增 against 1 January."""
    local = today()
    baseline_on = date(local.year, 1, 1)
    baseline = await count_at(session, unit_id, _start_of(baseline_on))
    current = int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(System)
            .where(System.unit_id == unit_id, System.state != "decommissioned")
        )
        or 0
    )
    series = []
    y, m = local.year, local.month
    for _ in range(months):
        on = date(y, m, 1)
        series.append({"on": on, "count": await count_at(session, unit_id, _start_of(on))})
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    series.reverse()
    return {
        "unit_id": unit_id,
        "baseline_on": baseline_on,
        "baseline": baseline,
        "current": current,
        "grows": current > baseline,
        "article": COUNT_ARTICLE,
        "series": series,
    }


async def read(session: AsyncSession, system: System) -> dict[str, Any]:
    data = {c.key: getattr(system, c.key) for c in sa.inspect(System).column_attrs}
    links = await session.execute(
        sa.select(ProjectSystem.project_id, ProjectSystem.relation)
        .where(ProjectSystem.system_id == system.id)
        .order_by(ProjectSystem.project_id)
    )
    data["projects"] = [{"project_id": p, "relation": r} for p, r in links]
    counts = await unit_counts(session, system.unit_id, months=0)
    data["unit_count_grows"] = counts["grows"]
    return data


async def register(
    session: AsyncSession, *, tenant: str, body: SystemCreate, actor: dict[str, Any]
) -> System:
    """Enter a system in the catalog (``system.registered``)."""
    unit = await session.get(Unit, body.unit_id)
    if unit is None or unit.tenant_id != tenant:
        raise Problem.invalid("unit_id", f"建设单位 {body.unit_id} 不属于本辖区")
    exists = await session.scalar(
        sa.select(sa.func.count())
        .select_from(System)
        .where(System.tenant_id == tenant, System.name == body.name)
    )
    if exists:
        raise Problem.conflict(
            "system_exists", "系统已在目录中", f"name: 本辖区目录已有「{body.name}」"
        )
    now = _now()
    system = System(
        id=uuid.uuid4(),
        tenant_id=tenant,
        unit_id=body.unit_id,
        name=body.name,
        description=body.description,
        state=body.state,
        registered_at=now,
        in_operation_at=now if body.state == "in_operation" else None,
        version=1,
        **{k: getattr(body, k) for k in FACTS},
    )
    session.add(system)
    await session.flush()
    counts = await unit_counts(session, system.unit_id, months=0)
    await _emit(session, system, "registered", actor, unit_count_grows=counts["grows"])
    return system


async def writable(session: AsyncSession, *, system_id: uuid.UUID, tenant: str) -> System:
    system = await session.get(System, system_id)
    if system is None:
        raise Problem.not_found("政务信息系统", system_id)
    if system.tenant_id != tenant:
        raise Problem(403, "forbidden", "无权执行此操作", "上级主管部门只能查看下级目录，不能修改")
    await session.refresh(system, with_for_update=True)
    return system


async def update(
    session: AsyncSession,
    *,
    system: System,
    changes: dict[str, Any],
    expected_version: int | None,
    actor: dict[str, Any],
) -> System:
    """Correct a system's facts (``system.updated``); not once it is decommissioned."""
    if expected_version is not None and expected_version != system.version:
        raise Problem(
            412,
            "version_mismatch",
            "版本不一致，请刷新后重试",
            f"If-Match: 当前版本为 {system.version}，请求基于版本 {expected_version}",
        )
    if system.state == "decommissioned":
        raise Problem.conflict("illegal_transition", "当前状态不允许此操作", "state: 系统已停用")
    for key, value in changes.items():
        if value is None and key != "description":
            raise Problem.invalid(key, "不能为空")
        setattr(system, key, value)
    system.version += 1
    await session.flush()
    await _emit(session, system, "updated", actor, changed=sorted(changes))
    return system


async def put_in_operation(
    session: AsyncSession, *, system: System, actor: dict[str, Any]
) -> System:
    """planned → in_operation (``system.state_changed``)."""
    if system.state != "planned":
        raise Problem.conflict(
            "illegal_transition",
            "当前状态不允许此操作",
            f"state: 只有规划中的系统可以投入运行，当前为 {system.state}",
        )
    system.state = "in_operation"
    system.in_operation_at = _now()
    system.version += 1
    await _emit(
        session, system, "state_changed", actor, **{"from": "planned", "to": "in_operation"}
    )
    return system


async def decommission(
    session: AsyncSession,
    *,
    system: System,
    disposition: str,
    evidence_document_id: str,
    reason: str,
    actor: dict[str, Any],
) -> System:
    """停用 with the data disposition and its evidence (莱州 第三十八条) (``system.decommissioned``)."""
    if system.state == "decommissioned":
        raise Problem.conflict("illegal_transition", "当前状态不允许此操作", "state: 系统已停用")
    previous = system.state
    system.state = "decommissioned"
    system.disposition = disposition
    system.evidence_document_id = evidence_document_id
    system.decommission_reason = reason
    system.decommissioned_at = _now()
    system.version += 1
    await _emit(
        session,
        system,
        "decommissioned",
        actor,
        **{"from": previous, "to": "decommissioned"},
        disposition=disposition,
        evidence_document_id=evidence_document_id,
        reason=reason,
    )
    return system


async def list_systems(
    session: AsyncSession, *, tenant: str | None, unit_id: uuid.UUID | None, state: str | None
) -> list[System]:
    stmt = sa.select(System).order_by(System.tenant_id, System.name)
    if tenant is not None:
        stmt = stmt.where(System.tenant_id == tenant)
    if unit_id is not None:
        stmt = stmt.where(System.unit_id == unit_id)
    if state is not None:
        stmt = stmt.where(System.state == state)
    return list((await session.scalars(stmt.limit(1000))).all())
