"""Project rules: create, edit while draft, submit, terminate, transitions with history.

No HTTP here: raises domain errors (libs/common/errors.py), only flushes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from libs.common.deadlines import today_in_china
from libs.common.errors import Conflict, Invalid, Problem, StaleVersion
from libs.common.events import Event, new_event_id
from libs.policy import FactsError, NoPolicyInForce, Pack, PolicyRegistry, validate_facts
from libs.policy.facts import SYSTEM_DEFAULTS
from services.registry.catalog import repository as catalog_repository
from services.registry.catalog.service import FACTS
from services.registry.models import Project, ProjectHistory, publisher
from services.registry.plans import repository as plans_repository
from services.registry.projects import lifecycle, repository
from services.registry.projects.schemas import ProjectCreate, SystemLink
from services.registry.units.service import not_own as not_own_unit
from services.registry.units.service import require_own as require_own_unit

# The system facts a project carries into its policy facts: those the rules ask of a
# system (libs/policy SYSTEM_DEFAULTS), not where it is hosted.
SYSTEM_FACTS = tuple(k for k in FACTS if k in SYSTEM_DEFAULTS)
# Facts the registry establishes itself when it submits (never the unit's word).
REGISTRY_FACTS = ("systems", "in_annual_plan", "submitted_on")


def _now() -> datetime:
    return datetime.now(UTC)


def current_pack(policies: PolicyRegistry, tenant: str, on: date) -> Pack | None:
    """The pack in force on ``on``, else the tenant's latest one (facts keep their meaning)."""
    try:
        return policies.pack_for(tenant, on)
    except NoPolicyInForce:
        packs = policies.for_tenant(tenant)
        return max(packs, key=lambda p: p.validity.effective_from or date.min) if packs else None


def check_facts(policies: PolicyRegistry, tenant: str, raw: Mapping[str, Any]) -> int:
    """Validate a unit's facts against its tenant's pack; return the amount. 422 names the field.

    The registry checks them when the project is saved, so the unit learns of a
    wrong fact at once, not days later from the decision (which stays approval's).
    """
    for name in REGISTRY_FACTS:
        if name in raw:
            raise Invalid(f"facts.{name}", "由登记服务确定，不能由申报单位填写")
    pack = current_pack(policies, tenant, today_in_china())
    if pack is None:
        raise Problem(
            422,
            "no_policy_in_force",
            "无适用的政策",
            f"facts: 辖区 {tenant} 没有政策包，无法校验项目事实",
            extra={"field": "facts"},
        )
    try:
        facts = validate_facts(pack, raw)
    except FactsError as exc:
        raise Invalid(f"facts.{exc.field}", exc.message, code="invalid_facts") from exc
    return int(facts["amount"])


async def _check_systems(session: AsyncSession, tenant: str, links: Sequence[SystemLink]) -> None:
    seen: set[uuid.UUID] = set()
    for i, link in enumerate(links):
        field = f"systems[{i}].system_id"
        if link.system_id in seen:
            raise Invalid(field, f"系统 {link.system_id} 重复")
        seen.add(link.system_id)
        system = await catalog_repository.find(session, link.system_id)
        if system is None or system.tenant_id != tenant:
            raise Invalid(field, f"政务信息系统 {link.system_id} 不在本辖区目录中")
        if system.state == "decommissioned":
            raise Invalid(field, f"政务信息系统 {link.system_id} 已停用")


async def _check_demand_item(session: AsyncSession, tenant: str, item_id: uuid.UUID) -> None:
    item = await plans_repository.find_item(session, item_id)
    if item is None or item.tenant_id != tenant:
        raise Invalid("demand_item_id", f"需求计划条目 {item_id} 不在本辖区")


_COLUMN_KEYS = tuple(c.key for c in sa.inspect(Project).column_attrs)


def to_read(project: Project, links: list[dict[str, Any]]) -> dict[str, Any]:
    """The ProjectRead fields of ``project`` with its catalog links."""
    data = {key: getattr(project, key) for key in _COLUMN_KEYS}
    data["systems"] = links
    data["state_label"] = lifecycle.label(project.state)
    return data


async def read(session: AsyncSession, project: Project) -> dict[str, Any]:
    return to_read(project, (await repository.links_of(session, [project.id]))[project.id])


async def _announce(
    session: AsyncSession,
    project: Project,
    event: str,
    actor: Mapping[str, Any],
    **data: Any,
) -> Event:
    """``project.<event>``: the project's identity and figures, then the event's own ``data``."""
    return await publisher.announce(
        session,
        "project",
        event,
        tenant=project.tenant_id,
        actor=actor,
        data=_payload(project) | data,
    )


def _payload(project: Project) -> dict[str, Any]:
    return {
        "project_id": str(project.id),
        "unit_id": str(project.unit_id),
        "name": project.name,
        "year": project.year,
        "amount": project.amount,
        "state": project.state,
        "version": project.version,
    }


def _links(links: Sequence[SystemLink]) -> list[tuple[uuid.UUID, str]]:
    return [(link.system_id, link.relation) for link in links]


def _history_row(
    tenant: str,
    edge: tuple[str | None, str, str],
    *,
    event_id: str,
    actor: Mapping[str, Any],
    reason: str | None,
    at: datetime,
) -> dict[str, Any]:
    """The history row (its ``project_id`` aside) of ``edge``: from, to, trigger."""
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant,
        "from_state": edge[0],
        "to_state": edge[1],
        "trigger": edge[2],
        "event_id": event_id,
        "actor": dict(actor),
        "reason": reason,
        "at": at,
    }


def _edge(transition: lifecycle.Transition) -> tuple[str, str, str]:
    return transition.source, transition.target, transition.trigger


def _move(project: Project, transition: lifecycle.Transition, at: datetime) -> None:
    project.state = transition.target
    project.version += 1
    project.updated_at = at


async def record(
    session: AsyncSession,
    project: Project,
    transition: lifecycle.Transition,
    *,
    event_id: str,
    actor: Mapping[str, Any],
    reason: str | None,
    at_once: bool = False,
) -> None:
    """Apply ``transition`` and keep it in the project's history.

    ``at_once`` (a request's transaction) writes the project's changes so far and the
    transition in one UPDATE with the history row, one statement; else both wait for
    the ORM's flush (a consumer's batch: the ORM follows its savepoints' rollbacks).
    """
    now = _now()
    row = _history_row(
        project.tenant_id, _edge(transition), event_id=event_id, actor=actor, reason=reason, at=now
    )
    _move(project, transition, now)
    if not at_once:
        session.add(ProjectHistory(project_id=project.id, **row))
        return
    state = sa.inspect(project)
    # What the ORM's flush would have written: the columns whose value changed.
    changes = {
        key: getattr(project, key) for key in _COLUMN_KEYS if state.attrs[key].history.has_changes()
    }
    await repository.write_transition(session, project, changes, row)


# A new project's first history row: from no state to a draft.
_CREATED = (None, "draft", "registry:create")


async def create_project(
    session: AsyncSession,
    *,
    policies: PolicyRegistry,
    tenant: str,
    body: ProjectCreate,
    actor: dict[str, Any],
) -> Project:
    """A draft project; the facts must satisfy the tenant's policy pack (``project.created``).

    The project row, its history row and the check that its unit is the tenant's own
    are one statement (``repository.insert_new``); the event goes out with the id its
    history row already names.
    """
    try:
        amount = check_facts(policies, tenant, body.facts)
        await _check_systems(session, tenant, body.systems)
        if body.demand_item_id is not None:
            await _check_demand_item(session, tenant, body.demand_item_id)
    except Problem:
        # A foreign unit is the first thing said wrong, as when it was checked first.
        await require_own_unit(session, body.unit_id, tenant)
        raise
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
        route=None,
        in_annual_plan=None,
        submitted_on=None,
        submission=0,
        submitted_facts=None,
        decision=None,
        decision_problem=None,
        version=1,
        created_by=str(actor.get("id")),
        created_at=now,
        updated_at=now,
    )
    event_id = new_event_id()
    history = _history_row(tenant, _CREATED, event_id=event_id, actor=actor, reason=None, at=now)
    row = {key: getattr(project, key) for key in repository.CREATED_COLUMNS}
    if not await repository.insert_new(session, row, history):
        raise not_own_unit(body.unit_id)
    # Written: the object joins the session as if loaded, for what the request does next.
    make_transient_to_detached(project)
    session.add(project)
    await publisher.announce(
        session,
        "project",
        "created",
        tenant=tenant,
        actor=actor,
        data={**_payload(project), "facts": project.facts},
        event_id=event_id,
    )
    repository.add_links(session, project, _links(body.systems))
    return project


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
    StaleVersion.check(project.version, expected_version)
    if project.state not in lifecycle.EDITABLE:
        raise Conflict(
            "illegal_transition",
            "当前状态不允许此操作",
            f"state: 只有草稿可以修改，项目处于「{lifecycle.STATES[project.state]}」",
        )
    for key in ("name", "unit_id", "year", "facts", "contacts", "schedule", "uncatalogued_systems"):
        if key in changes and changes[key] is None:
            raise Invalid(key, "不能为空")
    tenant = project.tenant_id
    if "unit_id" in changes:
        await require_own_unit(session, changes["unit_id"], tenant)
    if "facts" in changes:
        changes["amount"] = check_facts(policies, tenant, changes["facts"])
    if links is not None:
        await _check_systems(session, tenant, links)
    if changes.get("demand_item_id") is not None:
        await _check_demand_item(session, tenant, changes["demand_item_id"])
    for key, value in changes.items():
        setattr(project, key, value)
    if links is not None:
        await repository.replace_links(session, project, _links(links))
    project.version += 1
    project.updated_at = _now()
    changed = sorted([*changes, *(["systems"] if links else [])])
    await _announce(session, project, "updated", actor, changed=changed)
    return project


async def policy_facts(
    session: AsyncSession, project: Project, submitted_on: date
) -> dict[str, Any]:
    """The facts the policy decides on: the unit's, plus what the registry knows.

    A system the project operates or upgrades brings its catalog facts (潮府办〔2020〕20号
    第八条: such projects are judged on the system's sharing and compliance); one it builds
    is new and has none yet.
    """
    systems: list[dict[str, Any]] = []
    for relation, system in await repository.linked_systems(session, project):
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
        "in_annual_plan": await repository.in_annual_plan(session, project),
        "submitted_on": submitted_on.isoformat(),
    }


async def submit_project(
    session: AsyncSession,
    *,
    project: Project,
    submitted_on: date | None,
    expected_version: int | None,
    actor: dict[str, Any],
) -> Project:
    """申报: draft → submitted, emitting ``project.submitted`` with the facts to decide on."""
    StaleVersion.check(project.version, expected_version)
    transition = lifecycle.require(project.state, lifecycle.SUBMIT)
    today = today_in_china()
    on = submitted_on or today
    if on > today:
        raise Invalid("submitted_on", "申报日期不能晚于今天")
    facts = await policy_facts(session, project, on)
    project.submission += 1
    project.submitted_on = on
    project.submitted_facts = facts
    project.in_annual_plan = facts["in_annual_plan"]
    project.decision = None
    project.decision_problem = None
    project.route = None
    # The event names the project as it stood before the transition (its version then),
    # and goes out after the write: no statement of the request runs while it is held.
    data = _payload(project) | {
        "state": transition.target,
        "submission": project.submission,
        "submitted_on": on.isoformat(),
        "facts": facts,
    }
    event_id = new_event_id()
    await record(
        session, project, transition, event_id=event_id, actor=actor, reason=None, at_once=True
    )
    await publisher.announce(
        session,
        "project",
        "submitted",
        tenant=project.tenant_id,
        actor=actor,
        data=data,
        event_id=event_id,
    )
    return project


async def terminate_project(
    session: AsyncSession, *, project: Project, reason: str, actor: dict[str, Any]
) -> Project:
    """已终止 (bureau): emits ``project.state_changed``."""
    transition = lifecycle.require(project.state, lifecycle.TERMINATE)
    ev = await emit_state_changed(session, project, transition, actor=actor, reason=reason)
    await record(
        session, project, transition, event_id=ev, actor=actor, reason=reason, at_once=True
    )
    return project


async def emit_state_changed(
    session: AsyncSession,
    project: Project,
    transition: lifecycle.Transition,
    *,
    actor: Mapping[str, Any],
    reason: str | None,
    cause: str | None = None,
) -> str:
    """Announce a transition (``project.state_changed``); returns the event id."""
    ev = await _announce(
        session,
        project,
        "state_changed",
        actor,
        **{"from": transition.source, "to": transition.target},
        state=transition.target,
        trigger=transition.trigger,
        route=project.route,
        reason=reason,
        cause_event_id=cause,
    )
    return ev.id
