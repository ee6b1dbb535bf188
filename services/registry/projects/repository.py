"""Project queries. Row-level security limits each to the caller's visible tenants."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from libs.common.db import PreparedRead, transaction_memo
from libs.common.errors import NotFound
from libs.common.pagination import encode_sorted_cursor, keyset, sort_of
from libs.common.reads import fetch_all
from services.registry.models import (
    AnnualPlan,
    DemandItem,
    Project,
    ProjectHistory,
    ProjectNameGram,
    ProjectSystem,
    System,
    Unit,
)


async def get(session: AsyncSession, project_id: uuid.UUID) -> Project:
    """The project, or 404 (missing, or of a tenant the caller cannot read)."""
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFound("项目", project_id)
    return project


def _read_statement() -> sa.Select[Any]:
    """The project's columns and its catalog links (by system id) in one row.

    Built once: a statement object caches its compiled form and cache key, where
    ``session.get`` + a links query built two statements, two round trips and an
    ORM object per request. Row-level security applies to both tables as before.
    """
    projects, links = Project.__table__, ProjectSystem.__table__
    link = sa.func.json_build_object("system_id", links.c.system_id, "relation", links.c.relation)
    systems = (
        sa.select(
            sa.func.coalesce(
                sa.func.json_agg(aggregate_order_by(link, links.c.system_id)),
                sa.text("'[]'::json"),
            )
        )
        .where(links.c.project_id == projects.c.id)
        .scalar_subquery()
    )
    columns = [attr.columns[0].label(attr.key) for attr in sa.inspect(Project).column_attrs]
    return sa.select(*columns, sa.type_coerce(systems, JSON).label("systems")).where(
        projects.c.id == sa.bindparam("id")
    )


#: The project's columns and ``systems`` (its catalog links) by ``id``, prepared for
#: the lean read of ``GET /v1/projects/{id}`` (libs.common.db.PreparedRead).
READ = PreparedRead(_read_statement())


# -- the write path: a project's row and its history row in one statement ---------------
#
# A create or submit used to send the project's INSERT or UPDATE and its history row as
# two statements of the ORM's unit of work (and the create a unit lookup before them).
# Each statement below is built once (SQLAlchemy caches its compiled form) and does all
# of it in one round trip: data-modifying CTEs, the history row made from the project
# row the first one wrote, so a project without its history row cannot be written.

_PROJECTS = cast(sa.Table, Project.__table__)
_HISTORY = cast(sa.Table, ProjectHistory.__table__)
#: The columns of a project row.
PROJECT_COLUMNS: tuple[str, ...] = tuple(c.name for c in _PROJECTS.columns)
# A submission and its decision fill these; a new project leaves them out of its INSERT, as
# the ORM did (a JSONB column given None holds JSON null, left out it holds SQL NULL).
_LATER = (
    "route",
    "in_annual_plan",
    "submitted_on",
    "submitted_facts",
    "decision",
    "decision_problem",
)
#: The columns :func:`insert_new` writes (the others are NULL).
CREATED_COLUMNS: tuple[str, ...] = tuple(c for c in PROJECT_COLUMNS if c not in _LATER)
#: The columns of a history row (its ``project_id`` is the project row's own id).
HISTORY_COLUMNS: tuple[str, ...] = tuple(c.name for c in _HISTORY.columns if c.name != "project_id")
# Named apart from every column: an UPDATE also SETs a column its parameters name.
_TENANT = sa.bindparam("tenant", type_=_PROJECTS.c.tenant_id.type)


def _bind(table: sa.Table, column: str, prefix: str = "") -> sa.BindParameter[Any]:
    if column == "tenant_id":  # the project's tenant is its history row's (one parameter)
        return _TENANT
    return sa.bindparam(prefix + column, type_=table.c[column].type)


def _with_history(written: sa.CTE) -> sa.Select[Any]:
    """How many project rows ``written`` (RETURNING id) wrote; each gets its history row."""
    history = sa.insert(_HISTORY).from_select(
        ["project_id", *HISTORY_COLUMNS],
        sa.select(
            written.c.id, *(_bind(_HISTORY, c, "history_") for c in HISTORY_COLUMNS)
        ).select_from(written),
    )
    return sa.select(sa.func.count()).select_from(written).add_cte(history.cte("history"))


def _insert_statement() -> sa.Select[Any]:
    units = cast(sa.Table, Unit.__table__)
    own_unit = sa.select(units.c.id).where(
        units.c.id == _bind(_PROJECTS, "unit_id"), units.c.tenant_id == _TENANT
    )
    project = sa.insert(_PROJECTS).from_select(
        list(CREATED_COLUMNS),
        sa.select(*(_bind(_PROJECTS, c) for c in CREATED_COLUMNS)).where(sa.exists(own_unit)),
    )
    return _with_history(project.returning(_PROJECTS.c.id).cte("project"))


def _transition_statement(columns: Sequence[str]) -> sa.Select[Any]:
    moved = (
        sa.update(_PROJECTS)
        .where(_PROJECTS.c.id == sa.bindparam("project", type_=_PROJECTS.c.id.type))
        .values({c: _bind(_PROJECTS, c) for c in columns})
        .returning(_PROJECTS.c.id)
    )
    return _with_history(moved.cte("project"))


_INSERT_NEW = _insert_statement()


def _parameters(
    tenant: str, values: Mapping[str, Any], history: Mapping[str, Any]
) -> dict[str, Any]:
    params = {c: v for c, v in values.items() if c != "tenant_id"}
    params.update((f"history_{c}", history[c]) for c in HISTORY_COLUMNS if c != "tenant_id")
    params["tenant"] = tenant
    return params


async def insert_new(
    session: AsyncSession, project: Mapping[str, Any], history: Mapping[str, Any]
) -> bool:
    """Insert the ``project`` row (the columns of :data:`CREATED_COLUMNS`) with its first
    ``history`` row (:data:`HISTORY_COLUMNS`), if its ``unit_id`` is one of its own
    tenant's units; False (nothing written) if not."""
    params = _parameters(project["tenant_id"], project, history)
    written = await session.scalar(_INSERT_NEW, params)
    return bool(written)


_TRANSITIONS: dict[tuple[str, ...], sa.Select[Any]] = {}


async def write_transition(
    session: AsyncSession,
    project: Project,
    changes: Mapping[str, Any],
    history: Mapping[str, Any],
) -> None:
    """UPDATE ``project``'s row with ``changes`` (column: value) and insert its ``history``
    row, in one statement. The ORM object takes the values as committed first, so
    neither this statement's autoflush nor the commit's writes them again. The row is
    the caller's, locked (``get_for_update``)."""
    columns = tuple(changes)
    stmt = _TRANSITIONS.get(columns)
    if stmt is None:
        stmt = _TRANSITIONS[columns] = _transition_statement(columns)
    for column, value in changes.items():
        set_committed_value(project, column, value)
    params = _parameters(project.tenant_id, changes, history)
    params["project"] = project.id
    await session.execute(stmt, params)


async def lock(session: AsyncSession, project: Project) -> Project:
    """Lock the row for a change, once the caller is known to be allowed to make it.

    FOR UPDATE also applies the write policy of row-level security, which an
    overseer fails: authorising first gives it a 403 that says why.
    """
    await session.refresh(project, with_for_update=True)
    return project


async def get_for_update(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    """The project locked FOR UPDATE (for a change or an event's transition), or None:
    not visible, or (row-level security's write policy) one the caller only oversees."""
    return await session.get(Project, project_id, with_for_update=True)


# The catalog links the session's current transaction wrote or read, by project:
# the response of a create, edit or submit shows them without reading back what
# was just written. Only API requests write links, each in one transaction
# without savepoints.
_KNOWN_LINKS = "registry.project_links"


def _links_known(session: AsyncSession) -> dict[uuid.UUID, list[dict[str, Any]]]:
    return transaction_memo(session, _KNOWN_LINKS)


def _remember(
    session: AsyncSession, project_id: uuid.UUID, links: Iterable[tuple[uuid.UUID, str]]
) -> None:
    _links_known(session)[project_id] = [
        {"system_id": sid, "relation": relation} for sid, relation in sorted(links)
    ]


def add_links(
    session: AsyncSession, project: Project, links: Sequence[tuple[uuid.UUID, str]]
) -> None:
    """Link a new project to ``links`` (system id, relation): it has none to replace."""
    for system_id, relation in links:
        session.add(
            ProjectSystem(
                tenant_id=project.tenant_id,
                project_id=project.id,
                system_id=system_id,
                relation=relation,
            )
        )
    _remember(session, project.id, links)


async def replace_links(
    session: AsyncSession, project: Project, links: Sequence[tuple[uuid.UUID, str]]
) -> None:
    """Make ``links`` (system id, relation) the project's catalog links."""
    await session.execute(sa.delete(ProjectSystem).where(ProjectSystem.project_id == project.id))
    add_links(session, project, links)


async def links_of(
    session: AsyncSession, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The catalog links of each project, in one query (none for those this transaction knows)."""
    known = _links_known(session)
    out: dict[uuid.UUID, list[dict[str, Any]]] = {
        pid: list(known.get(pid, ())) for pid in project_ids
    }
    unknown = [pid for pid in project_ids if pid not in known]
    if unknown:
        rows = await session.execute(
            sa.select(ProjectSystem.project_id, ProjectSystem.system_id, ProjectSystem.relation)
            .where(ProjectSystem.project_id.in_(unknown))
            .order_by(ProjectSystem.system_id)
        )
        for pid, sid, relation in rows:
            out[pid].append({"system_id": sid, "relation": relation})
    return out


async def linked_systems(session: AsyncSession, project: Project) -> list[tuple[str, System]]:
    """(relation, system) of every catalog system the project links, by system id."""
    rows = await session.execute(
        sa.select(ProjectSystem.relation, System)
        .join(System, System.id == ProjectSystem.system_id)
        .where(ProjectSystem.project_id == project.id)
        .order_by(System.id)
    )
    linked = [(relation, system) for relation, system in rows.all()]
    _remember(session, project.id, [(system.id, relation) for relation, system in linked])
    return linked


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


async def history(session: AsyncSession, project_id: uuid.UUID) -> list[ProjectHistory]:
    """The project's transitions, oldest first."""
    return await fetch_all(
        session,
        sa.select(ProjectHistory)
        .where(ProjectHistory.project_id == project_id)
        .order_by(ProjectHistory.at, ProjectHistory.id),
    )


# The orders a list may take (?sort=, "-" for descending): the column each reads, its type.
SORTS: dict[str, tuple[Any, type[Any]]] = {
    "created": (Project.created_at, datetime),
    "name": (Project.name, str),
    "amount": (Project.amount, int),
    "year": (Project.year, int),
}
DEFAULT_SORT = "-created"
_BAD_SORT = "排序方式无效：可按创建时间、名称、金额或年度排序"


# Below this many hits among what the reader sees, a bigram is rare enough to fetch
# the candidates by it; at or above, matches are dense and walking the list's own
# order finds a page of them after reading a few hundred rows.
_RARE_BIGRAM = 500
_RAREST_BIGRAM = sa.text(
    "SELECT g.gram, (SELECT count(*) FROM (SELECT 1 FROM registry.project_name_grams AS n "
    "WHERE n.gram = g.gram LIMIT :cap) AS hits) AS hits "
    "FROM unnest(registry.name_bigrams(:q)) AS g(gram) ORDER BY hits LIMIT 1"
)


async def name_contains(session: AsyncSession, q: str) -> list[sa.ColumnElement[bool]]:
    """Names holding ``q`` in any case: a substring, as Chinese has no word boundaries.

    ``strpos(lower(name), lower(q))`` is what ``ILIKE '%q%'`` computes, without
    wildcards to escape, and PostgreSQL estimates it as common, so it walks the
    list's order for dense matches. For a rare query the candidates come from
    the bigram index of migration 0007 instead: its rarest bigram, found with
    one bounded count (an ``=`` lookup, which row-level security lets an index
    answer; a pattern match it does not).
    """
    holds = sa.func.strpos(sa.func.lower(Project.name), sa.func.lower(q)) > 0
    if len(q) < 2:
        return [holds]
    rarest = (await session.execute(_RAREST_BIGRAM, {"q": q, "cap": _RARE_BIGRAM})).first()
    if rarest is None or rarest.hits >= _RARE_BIGRAM:
        return [holds]
    candidates = sa.select(ProjectNameGram.project_id).where(ProjectNameGram.gram == rarest.gram)
    return [Project.id.in_(candidates), holds]


async def list_(
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
    sort: str = DEFAULT_SORT,
) -> tuple[list[Project], str | None]:
    """Visible projects in the order ``sort`` (newest first by default), filtered;
    keyset pagination on (the sort column, id)."""
    key, _ = sort_of(sort, SORTS, _BAD_SORT)
    ordered_by, kind = SORTS[key]
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
        stmt = stmt.where(*await name_contains(session, q))
    stmt = keyset(stmt, ordered_by, Project.id, sort=sort, kind=kind, cursor=cursor, limit=limit)
    rows = list((await session.scalars(stmt)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    if not (more and rows):
        return rows, None
    last = rows[-1]
    return rows, encode_sorted_cursor(sort, getattr(last, ordered_by.key), last.id)
