"""What every paged list of the console shares: where it is (order, cursor, page number),
the order it accepts, the service list it reads a page of, and its pager's values."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from services.portal.client import Api

__all__ = ["FIRST_PAGE", "PageQuery", "PagedList", "Paging", "known_sort", "pager"]


def known_sort(sort: str, columns: Collection[str], default: str) -> str:
    """``sort`` when the list offers its column (``-`` first for descending), else ``default``.

    A hand-edited ``?sort=`` shows the list in its usual order rather than a refusal.
    """
    return sort if sort.removeprefix("-") in columns else default


def pager(*, page_no: int, page_size: int, next_cursor: str | None) -> dict[str, Any]:
    """The template's ``page_no`` (from 1), ``page_size`` and ``next_cursor`` (``下一页``)."""
    return {"page_no": max(page_no, 1), "page_size": page_size, "next_cursor": next_cursor}


@dataclass(frozen=True, slots=True)
class PageQuery:
    """Where a paged list is: ``?sort=`` as asked (checked by :meth:`PagedList.fetch`), ``?cursor=``
    and ``?page_no=`` (the number shown, the cursor says where the page starts)."""

    sort: str = ""
    cursor: str = ""
    page_no: int = 1


Paging = Annotated[PageQuery, Depends()]
FIRST_PAGE = PageQuery()  # a list drawn again beside a refused form starts over


@dataclass(frozen=True, slots=True)
class PagedList:
    """A service's list as a console page reads it: where, in which orders, how many a page."""

    service: str
    path: str
    columns: Collection[str]  # the orders it offers (``?sort=``, ``-`` first for descending)
    default: str  # the order when none (or one it does not offer) is asked
    size: int

    async def fetch(
        self, api: Api, at: PageQuery, **filters: Any
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """One page: its rows, and the template's ``sort`` (the order used) and pager values."""
        sort = known_sort(at.sort, self.columns, self.default)
        rows, next_cursor = await api.listing(
            self.service, self.path, limit=self.size, sort=sort, cursor=at.cursor, **filters
        )
        paged = pager(page_no=at.page_no, page_size=self.size, next_cursor=next_cursor)
        return rows, {"sort": sort, **paged}
