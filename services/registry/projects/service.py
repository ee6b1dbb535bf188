"""Project domain logic: create, edit while draft, submit, transitions with history. Only flushes."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from libs.common.errors import Problem
from libs.common.events import emit
from libs.policy import PolicyRegistry
from services.registry import lifecycle
from services.registry.models import (
    AnnualPlan,
    DemandItem,
    Project,
    ProjectHistory,
    ProjectSystem,
    System,
    Unit,
)
from services.registry.policy import check_facts, today
from services.registry.projects.schemas import ProjectCreate, SystemLink

# The system facts a project carries into its policy facts (libs/policy SYSTEM_DEFAULTS).
SYSTEM_FACTS = (
    "shares_data",
    "duplicate_collection",
    "crypto_compliant",
    "security_compliant",
    "secure_reliable",
)


def _now() -> datetime:
    return datetime.now(UTC)


async def _check_unit(session: AsyncSession, tenant: str, unit_id: uuid.UUID) -> None:
    unit = await session.get(Unit, unit_id)
    # An overseer may see its counties' units; a project still belongs to a unit of its own tenant.
    if unit is None or unit.tenant_id != tenant:
        raise Problem.invalid("unit_id", f"建设单位 {unit_id} 不属于本辖区")


async def _check_systems(session: AsyncSession, tenant: str, links: Sequence[SystemLink]) -> None:
    seen: set[uuid.UUID] = set()
    for i, link in enumerate(links):
        field = f"systems[{i}].system_id"
        if link.system_id in seen:
            raise Problem.invalid(field, f"系统 {link.system_id} 重复")
        seen.add(link.system_id)
        system = await session.get(System, link.system_id)
        if system is None or system.tenant_id != tenant:
            raise Problem.invalid(field, f"政务信息系统 {link.system_id} 不在本辖区目录中")
        if system.state == "decommissioned":
            raise Problem.invalid(field, f"政务信息系统 {link.system_id} 已停用")


async def _check_demand_item(session: AsyncSession, tenant: str, item_id: uuid.UUID) -> None:
    item = await session.get(DemandItem, item_id)
    if item is None or item.tenant_id != tenant:
        raise Problem.invalid("demand_item_id", f"需求计划条目 {item_id} 不在本辖区")


async def _set_links(session: AsyncSession, project: Project, links: Sequence[SystemLink]) -> None:
    await session.execute(sa.delete(ProjectSystem).where(ProjectSystem.project_id == project.id))
    for link in links:
        session.add(
            ProjectSystem(
                tenant_id=project.tenant_id,
                project_id=project.id,
                system_id=link.system_id,
                relation=link.relation,
            )
        )


async def links_of(
    session: AsyncSession, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The catalog links of each project, in one query."""
    out: dict[uuid.UUID, list[dict[str, Any]]] = {pid: [] for pid in project_ids}
    if project_ids:
        rows = await session.execute(
            sa.select(ProjectSystem.project_id, ProjectSystem.system_id, ProjectSystem.relation)
            .where(ProjectSystem.project_id.in_(project_ids))
            .order_by(ProjectSystem.system_id)
        )
        for pid, sid, relation in rows:
            out[pid].append({"system_id": sid, "relation": relation})
    return out


def to_read(project: Project, links: list[dict[str, Any]]) -> dict[str, Any]:
    data = {c.key: getattr(project, c.key) for c in sa.inspect(Project).column_attrs}
    data["systems"] = links
    data["state_label"] = lifecycle.STATES.get(project.state, project.state)
    return data


async def read(session: AsyncSession, project: Project) -> dict[str, Any]:
    return to_read(project, (await links_of(session, [project.id]))[project.id])


def _payload(project: Project) -> dict[str, Any]:
    return {
        "tenant": project.tenant_id,
        "project_id": str(project.id),
        "unit_id": str(project.unit_id),
        "name": project.name,
        "year": project.year,
        "amount": project.amount,
        "state": project.state,
        "version": project.version,
    }


async def record(
    session: AsyncSession,
    project: Project,
    transition: lifecycle.Transition,
    *,
    event_id: str,
    actor: dict[str, Any],
    reason: str | None,
) -> None:
    """Apply ``transition`` and keep it in the project's history."""
    session.add(
        ProjectHistory(
            id=uuid.uuid4(),
            tenant_id=project.tenant_id,
            project_id=project.id,
            from_state=transition.source,
            to_state=transition.target,
            trigger=transition.trigger,
            event_id=event_id,
            actor=dict(actor),
            reason=reason,
            at=_now(),
        )
    )
    project.state = transition.target
    project.version += 1
    project.updated_at = _now()


async def create_project(
    session: AsyncSession,
    *,
    policies: PolicyRegistry,
    tenant: str,
    body: ProjectCreate,
    actor: dict[str, Any],
) -> Project:
    """A draft project; the facts must satisfy the tenant's policy pack (``project.created``)."""
    await _check_unit(session, tenant, body.unit_id)
    amount = check_facts(policies, tenant, body.facts)
    await _check_systems(session, tenant, body.systems)
    if body.demand_item_id is not None:
        await _check_demand_item(session, tenant, body.demand_item_id)
    now = _now()
    project = Project(
        id=uuid.uuid4(),
        tenant_id=tenant,
        unit_id=body.unit_id,
        name=body.name,
        description=body.description,
        contacts=[c.model_dump(mode="json") for c in body.contacts],
        schedule=body.schedule.model_dump(mode="json"),
        year=body.year,
        facts=dict(body.facts),
        uncatalogued_systems=[u.model_dump(mode="json") for u in body.uncatalogued_systems],
        amount=amount,
        demand_item_id=body.demand_item_id,
        state="draft",
        submission=0,
        version=1,
        created_by=str(actor.get("id")),
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    await session.flush()
    await _set_links(session, project, body.systems)
    ev = await emit(
        session,
        tenant=tenant,
        service="registry",
        aggregate="project",
        event="created",
        data={**_payload(project), "facts": project.facts},
        actor=actor,
    )
    session.add(
        ProjectHistory(
            id=uuid.uuid4(),
            tenant_id=tenant,
            project_id=project.id,
            from_state=None,
            to_state="draft",
            trigger="registry:create",
            event_id=ev.id,
            actor=dict(actor),
            reason=None,
            at=now,
        )
    )
    return project


def unit_scope(subject: AuthSubject) -> uuid.UUID | None:
    """The one unit a caller may act for, or None when not limited to one.

    A 项目管理专员 (郁府办〔2024〕21号 第三条第（二）项) answers for their own unit's
    projects: when their token names the unit, they create and change only its
    projects. The bureau acts for the whole jurisdiction.
    """
    if subject.unit_id is None or "bureau_officer" in subject.roles:
        return None
    try:
        return uuid.UUID(subject.unit_id)
    except ValueError:
        raise Problem(
            403, "forbidden", "无权执行此操作", "令牌中的 unit 不是有效的建设单位标识"
        ) from None


def check_unit(subject: AuthSubject, unit_id: uuid.UUID, *, field: str = "unit_id") -> None:
    """403 when a unit-bound caller names another unit's project."""
    own = unit_scope(subject)
    if own is not None and own != unit_id:
        raise Problem(
            403,
            "forbidden",
            "无权执行此操作",
            f"{field}: 只能为本单位（{own}）的项目操作",
            extra={"field": field},
        )


async def writable(
    session: AsyncSession, *, project_id: uuid.UUID, tenant: str, subject: AuthSubject | None = None
) -> Project:
    """The project, for a change by a caller of ``tenant``: 404 when invisible, 403 when only overseen."""
    project = await session.get(Project, project_id)
    if project is None:
        raise Problem.not_found("项目", project_id)
    if project.tenant_id != tenant:
        raise Problem(403, "forbidden", "无权执行此操作", "上级主管部门只能查看下级项目，不能修改")
    if subject is not None:
        check_unit(subject, project.unit_id)
    # Lock only now: FOR UPDATE also applies the write policy, which an overseer fails.
    await session.refresh(project, with_for_update=True)
    return project


def check_version(project: Project, expected: int | None) -> None:
    if expected is not None and expected != project.version:
        raise Problem(
            412,
            "version_mismatch",
            "版本不一致，请刷新后重试",
            f"If-Match: 当前版本为 {project.version}，请求基于版本 {expected}",
        )


async def update_project(
    session: AsyncSession,
    *,
    policies: PolicyRegistry,
    project: Project,
    changes: dict[str, Any],
    links: Sequence[SystemLink] | None,
    expected_version: int | None,
    actor: dict[str, Any],
) -> Project:
    """Edit a draft (``project.updated``); 412 on a stale version, 409 outside draft."""
    check_version(project, expected_version)
    if project.state not in lifecycle.EDITABLE:
        raise Problem.conflict(
            "illegal_transition",
            "当前状态不允许此操作",
            f"state: 只有草稿可以修改，项目处于「{lifecycle.STATES[project.state]}」",
        )
    tenant = project.tenant_id
    if "unit_id" in changes:
        await _check_unit(session, tenant, changes["unit_id"])
    if "facts" in changes:
        changes["amount"] = check_facts(policies, tenant, changes["facts"])
    if links is not None:
        await _check_systems(session, tenant, links)
    if changes.get("demand_item_id") is not None:
        await _check_demand_item(session, tenant, changes["demand_item_id"])
    for key, value in changes.items():
        setattr(project, key, value)
    if links is not None:
        await _set_links(session, project, links)
    project.version += 1
    project.updated_at = _now()
    await emit(
        session,
        tenant=tenant,
        service="registry",
        aggregate="project",
        event="updated",
        data={**_payload(project), "changed": sorted([*changes, *(["systems"] if links else [])])},
        actor=actor,
    )
    return project


async def in_annual_plan(session: AsyncSession, project: Project) -> bool:
    """Whether the project's demand item is in its year's consolidated annual plan."""
    if project.demand_item_id is None:
        return False
    found = await session.scalar(
        sa.select(sa.func.count())
        .select_from(DemandItem)
        .join(AnnualPlan, AnnualPlan.id == DemandItem.plan_id)
        .where(
            DemandItem.id == project.demand_item_id,
            DemandItem.state == "included",
            AnnualPlan.state == "consolidated",
            AnnualPlan.year == project.year,
            AnnualPlan.tenant_id == project.tenant_id,
        )
    )
    return bool(found)


async def policy_facts(
    session: AsyncSession, project: Project, submitted_on: date
) -> dict[str, Any]:
    """The facts the policy decides on: the unit's, plus what the registry knows.

    A system the project operates or upgrades brings its catalog facts (潮府办〔2020〕20号
    第八条: such projects are judged on the system's sharing and compliance); one it builds
    is new and has none yet.
    """
    rows = (
        await session.execute(
            sa.select(ProjectSystem.relation, System)
            .join(System, System.id == ProjectSystem.system_id)
            .where(ProjectSystem.project_id == project.id)
            .order_by(System.id)
        )
    ).all()
    systems: list[dict[str, Any]] = []
    for relation, system in rows:
        entry: dict[str, Any] = {"id": str(system.id), "relation": relation}
        if relation in ("operate", "upgrade"):
            entry.update({k: getattr(system, k) for k in SYSTEM_FACTS})
        systems.append(entry)
    # Named only: not in the catalog, so judged as such (坡头 第八条第（一）项).
    for u in project.uncatalogued_systems:
        systems.append({"id": u["name"], "relation": u["relation"], "in_catalog": False})
    return {
        **project.facts,
        "systems": systems,
        "in_annual_plan": await in_annual_plan(session, project),
        "submitted_on": submitted_on.isoformat(),
    }


async def submit_project(
    session: AsyncSession,
    *,
    project: Project,
    submitted_on: date | None,
    actor: dict[str, Any],
) -> Project:
    """申报: draft → submitted, emitting ``project.submitted`` with the facts to decide on."""
    transition = lifecycle.require(project.state, lifecycle.SUBMIT)
    on = submitted_on or today()
    if on > today():
        raise Problem.invalid("submitted_on", "申报日期不能晚于今天")
    facts = await policy_facts(session, project, on)
    project.submission += 1
    project.submitted_on = on
    project.submitted_facts = facts
    project.in_annual_plan = facts["in_annual_plan"]
    project.decision = None
    project.decision_problem = None
    project.route = None
    ev = await emit(
        session,
        tenant=project.tenant_id,
        service="registry",
        aggregate="project",
        event="submitted",
        data={
            **_payload(project),
            "state": transition.target,
            "submission": project.submission,
            "submitted_on": on.isoformat(),
            "facts": facts,
        },
        actor=actor,
    )
    await record(session, project, transition, event_id=ev.id, actor=actor, reason=None)
    return project


async def terminate_project(
    session: AsyncSession, *, project: Project, reason: str, actor: dict[str, Any]
) -> Project:
    """已终止 (bureau): emits ``project.state_changed``."""
    transition = lifecycle.require(project.state, lifecycle.TERMINATE)
    ev = await emit_state_changed(session, project, transition, actor=actor, reason=reason)
    await record(session, project, transition, event_id=ev, actor=actor, reason=reason)
    return project


async def emit_state_changed(
    session: AsyncSession,
    project: Project,
    transition: lifecycle.Transition,
    *,
    actor: dict[str, Any],
    reason: str | None,
    cause: str | None = None,
) -> str:
    ev = await emit(
        session,
        tenant=project.tenant_id,
        service="registry",
        aggregate="project",
        event="state_changed",
        data={
            **_payload(project),
            "from": transition.source,
            "to": transition.target,
            "state": transition.target,
            "trigger": transition.trigger,
            "route": project.route,
            "reason": reason,
            "cause_event_id": cause,
        },
        actor=actor,
    )
    return ev.id


async def history(session: AsyncSession, project_id: uuid.UUID) -> list[ProjectHistory]:
    return list(
        (
            await session.scalars(
                sa.select(ProjectHistory)
                .where(ProjectHistory.project_id == project_id)
                .order_by(ProjectHistory.at, ProjectHistory.id)
            )
        ).all()
    )


def encode_cursor(project: Project) -> str:
    raw = f"{project.created_at.isoformat()}|{project.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, pid = raw.split("|")
        return datetime.fromisoformat(at), uuid.UUID(pid)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem.invalid("cursor", "游标无效") from exc


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_projects(
    session: AsyncSession,
    *,
    tenant: str | None,
    state: str | None,
    route: str | None,
    unit_id: uuid.UUID | None,
    amount_min: int | None,
    amount_max: int | None,
    year: int | None,
    q: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Project], str | None]:
    """Visible projects (RLS), newest first, filtered; keyset pagination on (created_at, id)."""
    stmt = sa.select(Project)
    for column, value in (
        (Project.tenant_id, tenant),
        (Project.state, state),
        (Project.route, route),
        (Project.unit_id, unit_id),
        (Project.year, year),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if amount_min is not None:
        stmt = stmt.where(Project.amount >= amount_min)
    if amount_max is not None:
        stmt = stmt.where(Project.amount <= amount_max)
    if q:
        # Chinese names have no word boundaries: substring match, not word search.
        stmt = stmt.where(Project.name.ilike(f"%{escape_like(q)}%", escape="\\"))
    if cursor:
        at, pid = decode_cursor(cursor)
        stmt = stmt.where(
            sa.tuple_(Project.created_at, Project.id) < sa.tuple_(sa.literal(at), sa.literal(pid))
        )
    stmt = stmt.order_by(Project.created_at.desc(), Project.id.desc()).limit(limit + 1)
    rows = list((await session.scalars(stmt)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)
