"""Catalog rules: register, edit facts, put into operation, decommission, count.

No HTTP here: raises domain errors (libs/common/errors.py), only flushes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.deadlines import CHINA, today_in_china
from libs.common.documents import check_document
from libs.common.errors import Conflict, Invalid, StaleVersion
from libs.vocab import SYSTEM_FACTS
from services.registry.catalog import repository
from services.registry.catalog.schemas import SystemCreate
from services.registry.models import System, documents, publisher
from services.registry.units.service import require_own as require_own_unit

#: The facts a catalog entry records (vocabulary.md "Information systems").
FACTS = tuple(SYSTEM_FACTS)
COUNT_ARTICLE = (
    "坡头区政务信息化项目管理办法（征求意见稿） 第七条：本单位政务信息系统总量“只减不增”"
)
# 莱政办发〔2022〕6号 第三十八条 asks for proof that the data was backed up,
# migrated or destroyed. The archive has no type of its own for such a record
# (a 数据销毁证明 or 备份记录 is filed as 其他); a supervisor's, an acceptance or a
# security assessment report may also attest it. A proposal, a contract or an
# approval shows what was intended, never what was done to the data.
EVIDENCE_DOC_TYPES = frozenset(
    {"other", "supervision_report", "acceptance_report", "security_assessment_report"}
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
    await publisher.announce(
        session,
        "system",
        event,
        tenant=system.tenant_id,
        actor=actor,
        data=_payload(system) | extra,
    )


def _start_of(on: date) -> datetime:
    """Midnight in China at the start of ``on``, as a UTC instant."""
    return datetime.combine(on, time(0), CHINA).astimezone(UTC)


async def unit_counts(
    session: AsyncSession, unit_id: uuid.UUID, months: int = 12
) -> dict[str, Any]:
    """The unit's count of live systems at the start of each month, and 只减不增 against 1 January."""
    local = today_in_china()
    baseline_on = date(local.year, 1, 1)
    baseline = await repository.count_live_at(session, unit_id, _start_of(baseline_on))
    current = await repository.count_live(session, unit_id)
    series = []
    y, m = local.year, local.month
    for _ in range(months):
        on = date(y, m, 1)
        series.append(
            {"on": on, "count": await repository.count_live_at(session, unit_id, _start_of(on))}
        )
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
    """The SystemRead fields: the row, its projects, and whether its unit's count grows."""
    data: dict[str, Any] = {c.key: getattr(system, c.key) for c in sa.inspect(System).column_attrs}
    data["projects"] = [
        {"project_id": p, "relation": r, "name": name, "state": state}
        for p, r, name, state in await repository.projects_of(session, system.id)
    ]
    counts = await unit_counts(session, system.unit_id, months=0)
    data["unit_count_grows"] = counts["grows"]
    return data


async def register(
    session: AsyncSession, *, tenant: str, body: SystemCreate, actor: dict[str, Any]
) -> System:
    """Enter a system in the catalog (``system.registered``)."""
    await require_own_unit(session, body.unit_id, tenant)
    if await repository.name_taken(session, tenant=tenant, name=body.name):
        raise Conflict("system_exists", "系统已在目录中", f"name: 本辖区目录已有「{body.name}」")
    now = _now()
    system = System(
        id=uuid.uuid4(),
        tenant_id=tenant,
        **body.model_dump(),  # its unit, name, description, state and FACTS
        registered_at=now,
        in_operation_at=now if body.state == "in_operation" else None,
        version=1,
    )
    session.add(system)
    await session.flush()
    counts = await unit_counts(session, system.unit_id, months=0)
    await _emit(session, system, "registered", actor, unit_count_grows=counts["grows"])
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
    StaleVersion.check(system.version, expected_version)
    if system.state == "decommissioned":
        raise Conflict("illegal_transition", "当前状态不允许此操作", "state: 系统已停用")
    for key, value in changes.items():
        if value is None and key != "description":
            raise Invalid(key, "不能为空")
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
        raise Conflict(
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
    evidence_document_id: uuid.UUID,
    reason: str,
    actor: dict[str, Any],
) -> System:
    """停用 with the data disposition and its evidence (莱州 第三十八条) (``system.decommissioned``).

    The evidence must be a live archive document of the system's own
    jurisdiction and of a type that can record a disposal (the registry's
    replica of the archive, issue 16 item 9).
    """
    if system.state == "decommissioned":
        raise Conflict("illegal_transition", "当前状态不允许此操作", "state: 系统已停用")
    await check_document(
        session,
        documents,
        evidence_document_id,
        tenant=system.tenant_id,
        field="evidence_document_id",
        doc_types=EVIDENCE_DOC_TYPES,
    )
    previous = system.state
    system.state = "decommissioned"
    system.disposition = disposition
    system.evidence_document_id = str(evidence_document_id)
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
        evidence_document_id=str(evidence_document_id),
        reason=reason,
    )
    return system
