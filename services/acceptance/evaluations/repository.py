"""Queries on evaluations, draws and the register of projects a draw may pick."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.acceptance.models import Draw, Project
from services.acceptance.rules import requirements

__all__ = [
    "ACCEPTED_STATES",
    "draw_of_year",
    "draws",
    "eligible",
    "get_draw",
    "names_of",
    "post_requirement",
    "register",
]

#: The lifecycle states of a project that has been accepted (the post-evaluation register).
ACCEPTED_STATES: Final[tuple[str, ...]] = ("accepted", "in_operation", "evaluated")


def post_requirement(project: Project) -> Mapping[str, Any] | None:
    """The decision's optional post-stage evaluation by the authorities (the draw's basis).

    莱州 第三十四条 "通过“双随机”方式开展绩效后评估"; 坡头 第二十六条 and 潮州 第二十四条
    重点绩效评价 are encoded the same way by their packs.
    """
    for req in requirements(project):
        if (
            req.get("code") == "performance_evaluation"
            and req.get("stage") == "post"
            and not req.get("mandatory", True)
            and req.get("actor") in ("bureau_officer", "finance_officer")
        ):
            return req
    return None


async def eligible(session: AsyncSession, tenant: str) -> list[tuple[Project, str]]:
    """The tenant's accepted projects whose decision allows a post-evaluation, with the article.

    This is the maintained register a draw's pool comes from (never the caller):
    acceptance's own copy of the tenant's projects, kept from events.
    """
    rows = (
        await session.scalars(
            sa.select(Project)
            .where(Project.tenant_id == tenant, Project.state.in_(ACCEPTED_STATES))
            .order_by(Project.id)
        )
    ).all()
    return [(p, str(req.get("article"))) for p in rows if (req := post_requirement(p)) is not None]


async def register(session: AsyncSession, tenant: str) -> dict[str, str]:
    """Project id → article of the register (:func:`eligible`)."""
    return {str(p.id): article for p, article in await eligible(session, tenant)}


async def get_draw(session: AsyncSession, draw_id: uuid.UUID) -> Draw | None:
    """A draw of a visible tenant (RLS)."""
    return await session.get(Draw, draw_id)


async def draw_of_year(session: AsyncSession, tenant: str, year: int) -> Draw | None:
    """The tenant's authoritative draw of ``year`` (legacy draws do not count)."""
    return (
        await session.scalars(
            sa.select(Draw).where(
                Draw.tenant_id == tenant, Draw.year == year, Draw.status != "legacy"
            )
        )
    ).first()


async def names_of(session: AsyncSession, project_ids: set[str]) -> dict[str, str]:
    """The names of the projects (visible to the caller, RLS) among ``project_ids``, at once."""
    if not project_ids:
        return {}
    wanted = [uuid.UUID(p) for p in project_ids]
    rows = await session.execute(sa.select(Project.id, Project.name).where(Project.id.in_(wanted)))
    return {str(pid): name for pid, name in rows.all()}


async def draws(session: AsyncSession, *, year: int | None) -> Sequence[Draw]:
    """Draws of the caller's visible tenants, newest year first."""
    q = sa.select(Draw).order_by(Draw.year.desc(), Draw.tenant_id)
    if year is not None:
        q = q.where(Draw.year == year)
    return (await session.scalars(q)).all()
