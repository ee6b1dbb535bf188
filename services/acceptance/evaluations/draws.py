"""The 双随机 draw of the post-evaluation (莱政办发〔2022〕6号 第三十四条), in two steps.

1. **Commit** (:func:`commit_draw`): the server draws a seed from its CSPRNG and
   records it unseen; ``draw.committed`` publishes its SHA-256, the year, the
   count and the evaluator pool. One authoritative draw per tenant and year: a
   second commitment is 409, so nobody can commit again until a seed pleases.
2. **Draw** (:func:`make_draw`), in a later transaction, after the commitment is
   on the stream: the project pool is fixed *now* from the register (the
   tenant's accepted projects eligible under the decision, never a caller's
   list), the draw is made with the committed seed and the seed is revealed
   (``draw.drawn``).

The caller gives neither seed, nor pool, nor subset (the request schema refuses
them). :func:`verify` recomputes the result from the revealed seed and the
stored pools and checks the seed against the commitment.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid
from libs.common.reads import from_row
from services.acceptance.evaluations import draw as drawing
from services.acceptance.evaluations import repository
from services.acceptance.evaluations.schemas import DrawRead, DrawVerificationRead
from services.acceptance.models import Draw, publisher
from services.acceptance.rules import now

__all__ = ["commit_draw", "draw_read", "make_draw", "verify"]


def draw_read(row: Draw) -> DrawRead:
    """The draw as anyone may see it: the seed only once the draw is made."""
    revealed = row.status != "committed"
    return from_row(
        DrawRead,
        row,
        draw_id=row.id,
        seed=row.seed if revealed else None,
        method=drawing.METHOD,
    )


def _event_data(row: Draw) -> dict[str, Any]:
    """The draw as its events tell it (after the tenant, which the publisher names)."""
    body = draw_read(row).model_dump(mode="json", exclude={"tenant_id"})
    if row.status == "committed":  # the seed is not known to anyone yet, not even as null
        body.pop("seed")
    return body


async def commit_draw(
    session: AsyncSession,
    *,
    tenant: str,
    year: int,
    count: int,
    evaluator_pool: Sequence[str],
    evaluator_count: int,
    actor: dict[str, Any],
) -> Draw:
    """Commit the tenant's draw of ``year``: a secret server seed, its SHA-256 published."""
    existing = await repository.draw_of_year(session, tenant, year)
    if existing is not None:
        raise Conflict(
            "draw_exists",
            "本年度已有抽取",
            f"year: {year} 年度的抽取已于 {existing.committed_at:%Y-%m-%d} 承诺"
            f"（{existing.id}），每个辖区每年只有一次抽取",
            draw_id=str(existing.id),
        )
    eligible = await repository.register(session, tenant)
    if count > len(eligible):
        raise Invalid("count", f"抽取数 {count} 大于项目库数量 {len(eligible)}")
    people = sorted(set(evaluator_pool))
    if evaluator_count > len(people):
        raise Invalid(
            "evaluator_count", f"抽取数 {evaluator_count} 大于评估人员库数量 {len(people)}"
        )
    seed = drawing.new_seed()
    row = Draw(
        id=uuid.uuid4(),
        tenant_id=tenant,
        year=year,
        status="committed",
        seed=seed,
        commitment=drawing.commitment(seed),
        count=count,
        evaluator_count=evaluator_count,
        project_pool=[],
        projects=[],
        evaluator_pool=people,
        evaluators=[],
        committed_by=actor,
        committed_at=now(),
    )
    session.add(row)
    # A concurrent commitment of the same year loses on uq_draws_tenant_year (409).
    await session.flush()
    await publisher.announce(
        session, "draw", "committed", tenant=tenant, actor=actor, data=_event_data(row)
    )
    return row


async def make_draw(session: AsyncSession, row: Draw, *, actor: dict[str, Any]) -> Draw:
    """Fix the pool from the register now, draw with the committed seed, reveal it."""
    if row.status != "committed":
        raise Conflict("draw_made", "抽取已完成", f"status: 抽取 {row.id} 已于 {row.drawn_at} 完成")
    eligible = await repository.register(session, row.tenant_id)
    pool = sorted(eligible)
    # The register may have shrunk since the commitment (a project terminated): draw all.
    result = drawing.draw(
        row.seed, pool, min(row.count, len(pool)), row.evaluator_pool, row.evaluator_count
    )
    row.project_pool, row.projects = result.project_pool, result.projects
    row.evaluators = result.evaluators
    row.article = "、".join(sorted({eligible[p] for p in pool})) or None
    row.status, row.drawn_by, row.drawn_at = "drawn", actor, now()
    await session.flush()
    await publisher.announce(
        session, "draw", "drawn", tenant=row.tenant_id, actor=actor, data=_event_data(row)
    )
    return row


def verify(row: Draw) -> DrawVerificationRead:
    """Redo the draw from the revealed seed and the stored pools; check the commitment."""
    if row.status == "committed":
        raise Conflict(
            "draw_not_made", "尚未抽取", f"status: 抽取 {row.id} 尚未进行，种子在抽取后公开方可复核"
        )
    again = drawing.draw(
        row.seed,
        row.project_pool,
        min(row.count, len(set(row.project_pool))),
        row.evaluator_pool,
        row.evaluator_count,
    )
    return DrawVerificationRead(
        draw_id=row.id,
        commitment_matches=(
            None if row.commitment is None else drawing.commitment(row.seed) == row.commitment
        ),
        reproduced=again.projects == row.projects and again.evaluators == row.evaluators,
        within_pool=set(row.projects) <= set(row.project_pool),
        projects=again.projects,
        evaluators=again.evaluators,
    )
