"""What every paged list of the console shares: the order it accepts and its pager's values."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

__all__ = ["known_sort", "pager"]


def known_sort(sort: str, columns: Collection[str], default: str) -> str:
    """``sort`` when the list offers its column (``-`` first for descending), else ``default``.

    A hand-edited ``?sort=`` shows the list in its usual order rather than a refusal.
    """
    return sort if sort.removeprefix("-") in columns else default


def pager(*, page_no: int, page_size: int, next_cursor: str | None) -> dict[str, Any]:
    """The template's ``page_no`` (from 1), ``page_size`` and ``next_cursor`` (``下一页``)."""
    return {"page_no": max(page_no, 1), "page_size": page_size, "next_cursor": next_cursor}
