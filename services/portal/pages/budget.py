"""Finance's view (资金联动): the jurisdiction's projects with what the budget service holds for each.

Finance reviews themselves are steps of the approval workflow (in /tasks); this
page shows the linkage: requested, reviewed, approved and arranged amounts,
what has been paid and what is left.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.portal.client import ApiError
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)

# From a decision on, a project has a budget record (services/budget learns of it by events).
STATES = (
    "under_review",
    "approved",
    "filed",
    "procuring",
    "implementing",
    "completed",
    "acceptance_review",
    "accepted",
    "in_operation",
)


async def _budget(user: User, pid: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await user.api.get("budget", f"/v1/projects/{pid}/budget")
    except ApiError as exc:
        if exc.status in (404, 409):
            return None
        raise
    return found


#: Who reads the linkage (the page and its export).
READERS = ("finance_officer", "bureau_officer", "auditor", "overseer")


async def budget_rows(user: User, state: str) -> list[dict[str, Any]]:
    """The rows of the page: each decided project with its budget record (or None)."""
    page = await user.api.get("registry", "/v1/projects", state=state, limit=100)
    projects = [p for p in page["items"] if p["state"] in STATES]
    sem = asyncio.Semaphore(8)

    async def one(p: dict[str, Any]) -> dict[str, Any] | None:
        async with sem:
            return await _budget(user, p["id"])

    budgets = await asyncio.gather(*(one(p) for p in projects))
    return [{"project": p, "budget": b} for p, b in zip(projects, budgets, strict=True)]


@router.get("/budget", response_class=HTMLResponse)
async def budget(request: Request, user: CurrentUser, state: str = "") -> HTMLResponse:
    user.require(*READERS)
    rows = await budget_rows(user, state)
    projects = [r["project"] for r in rows]
    budgets = [r["budget"] for r in rows]
    totals = {
        "amount": sum(p["amount"] for p in projects),
        "approved": sum((b or {}).get("approved_amount") or 0 for b in budgets),
        "disbursed": sum((b or {}).get("disbursed_total") or 0 for b in budgets),
    }
    return render(
        request,
        "budget.html",
        user,
        title="资金联动",
        rows=rows,
        totals=totals,
        state=state,
        states=STATES,
    )
