"""Reading rows: every row a query selects (:func:`fetch_all`), and read schemas filled from a row."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["fetch_all", "from_row"]

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
