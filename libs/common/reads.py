"""Reads every service repeats: every row a query selects, read schemas filled from rows,
a filtered list, a column's sum."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

__all__ = ["fetch_all", "from_row", "row_json", "rows_where", "total_of"]

ReadT = TypeVar("ReadT", bound=BaseModel)
RowT = TypeVar("RowT")


async def fetch_all(session: AsyncSession, query: Select[tuple[RowT]]) -> list[RowT]:
    """Every object ``query`` selects, in its order, as a list."""
    return list((await session.scalars(query)).all())


def from_row(model: type[ReadT], row: object, **given: Any) -> ReadT:
    """``model`` with each field not ``given`` taken from ``row``'s attribute of that name.

    A field the row lacks (and that is not given) is a programming error and
    raises ``AttributeError`` here, not a silently missing value.
    """
    fields = {name: getattr(row, name) for name in model.model_fields if name not in given}
    return model(**fields, **given)


def row_json(model: type[BaseModel], row: object, **given: Any) -> dict[str, Any]:
    """``row`` as ``model``'s JSON (ids and dates as text): what a route answers and an event carries."""
    return from_row(model, row, **given).model_dump(mode="json")


async def rows_where(
    session: AsyncSession,
    entity: type[RowT],
    *where: sa.ColumnElement[bool],
    order_by: Sequence[Any],
) -> list[RowT]:
    """Every row of ``entity`` that ``where`` admits, in ``order_by`` order (row-level security applies)."""
    rows = await session.scalars(sa.select(entity).where(*where).order_by(*order_by))
    return list(rows)


async def total_of(
    session: AsyncSession, column: InstrumentedAttribute[int], *where: sa.ColumnElement[bool]
) -> int:
    """The sum of ``column`` over the rows ``where`` admits; 0 when there are none."""
    total = await session.scalar(sa.select(sa.func.coalesce(sa.func.sum(column), 0)).where(*where))
    return int(total or 0)
