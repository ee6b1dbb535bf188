"""A project's recorded rows read back: what every budget aggregate's repository asks of its table."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.reads import rows_where
from services.budget.models import ProjectRecord

__all__ = ["records_of"]

RecordT = TypeVar("RecordT", bound=ProjectRecord)


async def records_of(
    session: AsyncSession, entity: type[RecordT], project_id: uuid.UUID, *order_by: Any
) -> list[RecordT]:
    """Every ``entity`` row of the project, in ``order_by`` order (row-level security applies)."""
    return await rows_where(session, entity, entity.project_id == project_id, order_by=order_by)
