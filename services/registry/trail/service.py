"""A project's trail as people read it: each kept event said in Chinese (libs/vocab)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.vocab import describe_event
from services.registry.models import Project, TrailEvent
from services.registry.trail import repository
from services.registry.trail.schemas import TrailAmount, TrailEntry, TrailPage

__all__ = ["trail_page"]


def _entry(row: TrailEvent) -> TrailEntry:
    line = describe_event(row.type, row.data)
    return TrailEntry(
        event_id=row.event_id,
        type=row.type,
        at=row.occurred_at,
        actor=row.actor,
        sentence=line.sentence,
        amounts=[TrailAmount(label=name, amount=yuan) for name, yuan in line.amounts],
        article=line.article,
    )


async def trail_page(
    session: AsyncSession, *, project: Project, cursor: str | None, limit: int
) -> TrailPage:
    """One page of the project's trail, oldest first, with the pack its articles cite."""
    rows, next_cursor = await repository.page(session, project.id, cursor=cursor, limit=limit)
    policy = (project.decision or {}).get("policy")
    return TrailPage(
        project_id=project.id,
        # The pack the project was judged by: its articles are the ones events cite.
        policy_id=str(policy["id"]) if isinstance(policy, dict) and policy.get("id") else None,
        items=[_entry(r) for r in rows],
        next_cursor=next_cursor,
    )
