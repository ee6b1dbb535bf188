"""Queries on reviews and on the archive documents acceptance knows (RLS-scoped)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.acceptance.models import Document, Project, Review

__all__ = [
    "documents",
    "for_project",
    "last_of_submission",
    "last_passed",
    "of_project",
    "open_review",
]


async def open_review(session: AsyncSession, project_id: uuid.UUID) -> Review | None:
    """The project's review still open, locked (there is at most one)."""
    return (
        await session.scalars(
            sa.select(Review)
            .where(Review.project_id == project_id, Review.status == "open")
            .with_for_update()
        )
    ).first()


def _of_submission(project: Project) -> sa.Select[tuple[Review]]:
    return (
        sa.select(Review)
        .where(Review.project_id == project.id, Review.submission == project.submission)
        .order_by(Review.requested_at.desc())
    )


async def last_of_submission(session: AsyncSession, project: Project) -> Review | None:
    """The latest review of the project's current submission, whatever its status."""
    return (await session.scalars(_of_submission(project).limit(1))).first()


async def last_passed(session: AsyncSession, project: Project) -> Review | None:
    """The latest passed review of the current submission (a second acceptance reuses it)."""
    return (await session.scalars(_of_submission(project).where(Review.status == "passed"))).first()


async def for_project(session: AsyncSession, project_id: uuid.UUID) -> Sequence[Review]:
    """Every review of a project, oldest first."""
    return (
        await session.scalars(
            sa.select(Review).where(Review.project_id == project_id).order_by(Review.requested_at)
        )
    ).all()


async def documents(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Document]:
    """The archive documents among ``ids`` that acceptance has heard of, by id."""
    rows = (await session.scalars(sa.select(Document).where(Document.id.in_(ids)))).all()
    return {d.id: d for d in rows}


async def of_project(session: AsyncSession, project_id: uuid.UUID) -> Sequence[Document]:
    """The archive documents filed under a project, in the order they arrived."""
    return (
        await session.scalars(
            sa.select(Document)
            .where(Document.project_ids.contains([str(project_id)]))
            .order_by(Document.seen_at)
        )
    ).all()
