"""Keyset pagination's cursor: the (time, id) of the last row of a page, opaque to callers.

Lists ordered newest first by ``(created_at, id)`` continue below the cursor's
pair; an unreadable cursor is 422 naming ``cursor``. Lists a person sorts (by
name, amount or date) use :func:`encode_sorted_cursor`: the cursor also names
its order, so one made for another order is refused rather than misread.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from libs.common.errors import Invalid

__all__ = [
    "decode_cursor",
    "decode_sorted_cursor",
    "encode_cursor",
    "encode_sorted_cursor",
    "keyset",
    "next_page",
    "sort_of",
]

SortValue = str | int | date  # a datetime is a date too
Row = TypeVar("Row")


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    raw = f"{at.isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, row_id = raw.split("|")
        return datetime.fromisoformat(at), uuid.UUID(row_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("cursor", "游标无效") from exc


def encode_sorted_cursor(sort: str, value: SortValue, row_id: uuid.UUID) -> str:
    """The position after a row whose sort column holds ``value``, for the order ``sort``."""
    shown = value.isoformat() if isinstance(value, date) else value
    raw = json.dumps([sort, shown, str(row_id)], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_sorted_cursor(
    cursor: str, sort: str, kind: type[SortValue]
) -> tuple[SortValue, uuid.UUID]:
    """(value, id) of a cursor made for ``sort`` whose value is a ``kind``; else 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        made_for, value, row_id = json.loads(raw)
        if made_for != sort:
            raise ValueError(made_for)
        if kind is datetime:
            value = datetime.fromisoformat(value)
        elif kind is date:
            value = date.fromisoformat(value)
        elif not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(value)
        return value, uuid.UUID(row_id)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise Invalid("cursor", "游标无效（或属于另一种排序）") from exc


def sort_of(sort: str, allowed: Collection[str], refusal: str) -> tuple[str, bool]:
    """``"-amount"`` → ("amount", descending); an order not in ``allowed`` is 422 ``refusal``."""
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    if key not in allowed:
        raise Invalid("sort", refusal)
    return key, descending


def keyset(
    stmt: sa.Select[Any],
    column: Any,
    id_column: Any,
    *,
    sort: str,
    kind: type[SortValue],
    cursor: str | None,
    limit: int,
) -> sa.Select[Any]:
    """``stmt`` ordered by (``column``, ``id_column``) as ``sort`` says, continuing after
    ``cursor``, with one row more than ``limit`` so the caller knows whether a next page is."""
    descending = sort.startswith("-")
    if cursor:
        value, row_id = decode_sorted_cursor(cursor, sort, kind)
        position = sa.tuple_(column, id_column)
        after = sa.tuple_(sa.literal(value), sa.literal(row_id))
        stmt = stmt.where(position < after if descending else position > after)
    if descending:
        return stmt.order_by(column.desc(), id_column.desc()).limit(limit + 1)
    return stmt.order_by(column.asc(), id_column.asc()).limit(limit + 1)


def next_page(
    rows: Sequence[Row],
    *,
    limit: int,
    sort: str,
    position: Callable[[Row], tuple[SortValue, uuid.UUID]],
) -> tuple[list[Row], str | None]:
    """The page out of the ``limit + 1`` rows :func:`keyset` fetched, and the cursor after
    its last row (``position``: that row's sort value and id), or None on the last page."""
    if len(rows) <= limit:
        return list(rows), None
    value, row_id = position(rows[limit - 1])
    return list(rows[:limit]), encode_sorted_cursor(sort, value, row_id)
