"""Projects further along: accepted, eligible for the 双随机 post-evaluation (莱州 第三十四条)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.acceptance.tests.support.feed import LAIZHOU, deliver, event, laizhou_project

__all__ = ["accepted_project"]


async def accepted_project(db: AsyncSession, *, tenant: str = LAIZHOU) -> uuid.UUID:
    """A 6,000,000 莱州 project the registry reports accepted (its decision allows a draw)."""
    pid = await laizhou_project(db, tenant=tenant)
    await deliver(
        db,
        event(
            tenant,
            "registry",
            "project",
            "state_changed",
            project_id=str(pid),
            state="accepted",
            version=20,
            trigger="govproj.registry.project.test.v1",
        ),
    )
    return pid
