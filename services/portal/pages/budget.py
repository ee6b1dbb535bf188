"""Finance's view (资金联动): the jurisdiction's projects with what the budget service holds for each.

Finance reviews themselves are steps of the approval workflow (in /tasks); this
page shows the linkage: requested, reviewed, approved and arranged amounts,
what has been paid and what is left. One request to the budget service's
overview (``GET /v1/budgets``) per page of 50, never one per project: every
project it knows is listed, whatever its later lifecycle state (已自评 too).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)

# The budget service's own statuses (libs/vocab BUDGET_STATUS_LABELS): it follows the
# approval's outcome, then procurement and contracts; later lifecycle states leave it as is.
STATUSES = (
    "under_review",
    "approved",
    "filed",
    "procuring",
    "implementing",
    "returned",
    "rejected",
    "out_of_scope",
)
PAGE_SIZE = 50


#: Who reads the linkage (the page and its export).
READERS = ("finance_officer", "bureau_officer", "auditor", "overseer")


async def budget_page(
    user: User, status: str, cursor: str = "", limit: int = PAGE_SIZE
) -> dict[str, Any]:
    """One page of the budget overview (the page and its export read the same)."""
    page: dict[str, Any] = await user.api.get(
        "budget",
        "/v1/budgets",
        status=status if status in STATUSES else None,
        cursor=cursor,
        limit=limit,
    )
    return page


async def budget_rows(user: User, status: str) -> list[dict[str, Any]]:
    """Every row of the overview under the filter, page after page (for the export)."""
    rows: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = await budget_page(user, status, cursor, limit=200)
        rows.extend(page["items"])
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return rows


@router.get("/budget", response_class=HTMLResponse)
async def budget(
    request: Request, user: CurrentUser, status: str = "", cursor: str = ""
) -> HTMLResponse:
    user.require(*READERS)
    page = await budget_page(user, status, cursor)
    rows = page["items"]
    totals = {
        key: sum(r.get(field) or 0 for r in rows)
        for key, field in (
            ("amount", "amount"),
            ("approved", "approved_amount"),
            ("arranged", "arranged_total"),
            ("disbursed", "disbursed_total"),
        )
    }
    return render(
        request,
        "budget.html",
        user,
        title="资金联动",
        rows=rows,
        totals=totals,
        status=status,
        statuses=STATUSES,
        next_cursor=page.get("next_cursor"),
        first_page=not cursor,
    )
