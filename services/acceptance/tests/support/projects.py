"""Projects further along: accepted, eligible for the 双随机 post-evaluation (莱州 第三十四条)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.acceptance.tests.support.feed import (
    LAIZHOU,
    deliver,
    laizhou_project,
    registry_state,
)

__all__ = ["accepted_project"]


async def accepted_project(db: AsyncSession, *, tenant: str = LAIZHOU) -> uuid.UUID:
    """A 6,000,000 莱州 project the registry reports accepted (its decision allows a draw)."""
    pid = await laizhou_project(db, tenant=tenant)
    await deliver(
        db,
        registry_state(pid, "accepted", 20, "govproj.registry.project.test.v1", tenant=tenant),
    )
    return pid
