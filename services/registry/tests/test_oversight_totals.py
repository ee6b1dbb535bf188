"""The overseer's dashboard totals: the registry counts in SQL, and the counts match the seeded set."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.deadlines import today_in_china
from libs.common.events import make_event, system_actor
from libs.common.testing.database import in_tenant
from services.registry.models import Project
from services.registry.oversight import repository
from services.registry.projects import handlers
from services.registry.projects import service as projects
from services.registry.tests.support import (
    CHAOAN,
    CHAOZHOU,
    PLAN_YEAR,
    XIANGQIAO,
    Caller,
    actor,
    make_project,
    make_unit,
)

# (county, state, route, year offset, approval_due days from today, approval_validity days)
SEEDED = [
    (XIANGQIAO, "under_review", "approval", 0, -10, None),  # 审批时限 missed
    (XIANGQIAO, "under_review", "approval", 1, 30, None),  # still in time
    (XIANGQIAO, "approved", "approval", 0, -40, -5),  # approved in time, approval lapsed
    (XIANGQIAO, "procuring", "approval", 1, -40, -5),  # procurement started: both met
    (XIANGQIAO, "draft", None, 0, None, None),
    (CHAOAN, "submitted", "filing", 0, -1, -1),  # both missed
    (CHAOAN, "filed", "filing", 2, -3, 10),
    (CHAOAN, "rejected", "approval", 0, -9, None),  # ended: nothing is owed
    (CHAOAN, "under_review", "approval", 2, -2, None),  # missed
]
MISSED = 5  # the rows above marked missed (CHAOAN's submitted one twice)


def _limits(due: int | None, validity: int | None) -> list[dict[str, Any]]:
    today = today_in_china()
    out = [
        {"code": code, "date": (today + timedelta(days=days)).isoformat(), "article": "第十条"}
        for code, days in (("approval_due", due), ("approval_validity", validity))
        if days is not None
    ]
    # A yearly cut-off is no one day and never counts as missed.
    return [*out, {"code": "approval_due", "date": "--09-30", "article": "第十四条"}]


async def seed(db: AsyncSession) -> list[Project]:
    units = {t: await make_unit(db, t) for t in (XIANGQIAO, CHAOAN)}
    made = []
    for n, (tenant, state, route, offset, due, validity) in enumerate(SEEDED):
        project = await make_project(db, units[tenant], amount=100_000 * (n + 1))
        await in_tenant(db, tenant)
        project.state, project.route, project.year = state, route, PLAN_YEAR + offset
        if route is not None:
            project.decision = {"route": route, "time_limits": _limits(due, validity)}
        await db.flush()
        made.append(project)
    return made


async def test_dashboard_totals_equal_the_counts_of_the_seeded_projects(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    made = await seed(tree_db)
    overseer = caller.headers(CHAOZHOU, "overseer")
    r = await api.get("/v1/oversight/summary", headers=overseer)
    assert r.status_code == 200, r.text
    rows = {j["tenant"]: j for j in r.json()["jurisdictions"]}
    for county in (XIANGQIAO, CHAOAN):
        mine = [p for p in made if p.tenant_id == county]
        row = rows[county]
        assert row["projects"] == {"count": len(mine), "amount": sum(p.amount for p in mine)}
        assert {k: b["count"] for k, b in row["by_state"].items()} == Counter(p.state for p in mine)
        assert {k: b["count"] for k, b in row["by_route"].items()} == Counter(
            p.route or "undecided" for p in mine
        )
        assert {int(k): b["amount"] for k, b in row["by_year"].items()} == {
            y: sum(p.amount for p in mine if p.year == y) for y in {p.year for p in mine}
        }
    assert (rows[XIANGQIAO]["overdue"], rows[CHAOAN]["overdue"]) == (2, 3)

    # The overdue list, page by page, holds exactly the missed limits, soonest first.
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await api.get("/v1/oversight/overdue", headers=overseer, params=params)
        assert page.status_code == 200, page.text
        assert len(page.json()) <= 2
        seen += page.json()
        if not (cursor := page.headers.get("X-Next-Cursor")):
            break
    assert len(seen) == MISSED == len({(o["project_id"], o["code"]) for o in seen})
    assert [o["date"] for o in seen] == sorted(o["date"] for o in seen)
    assert {o["state"] for o in seen} <= {"submitted", "under_review", "approved"}
    one = await api.get("/v1/oversight/overdue", headers=overseer, params={"county": CHAOAN})
    assert {o["tenant_id"] for o in one.json()} == {CHAOAN} and len(one.json()) == 3


async def test_a_county_outside_the_overseers_reach_is_not_found(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    overseer = caller.headers(CHAOZHOU, "overseer")
    r = await api.get("/v1/oversight/overdue", headers=overseer, params={"county": "445322"})
    assert r.status_code == 404 and r.json()["title"] == "资源不存在", r.text
    bureau = caller.headers(XIANGQIAO, "bureau_officer")
    assert (await api.get("/v1/oversight/overdue", headers=bureau)).status_code == 403


async def test_a_decision_past_its_approval_due_day_counts_as_overdue_once_decided(
    tree_db: AsyncSession,
) -> None:
    project = await make_project(tree_db, await make_unit(tree_db, XIANGQIAO))
    await projects.submit_project(
        tree_db, project=project, submitted_on=None, expected_version=None, actor=actor(XIANGQIAO)
    )
    yesterday = (today_in_china() - timedelta(days=1)).isoformat()
    limits = [{"code": "approval_due", "date": yesterday, "article": "第十条", "from": "submitted"}]
    event = make_event(
        tenant=XIANGQIAO,
        service="approval",
        aggregate="project",
        event="decided",
        data={
            "tenant": XIANGQIAO,
            "project_id": str(project.id),
            "route": "approval",
            "submission": 1,
            "decision": {"route": {"code": "approval"}, "time_limits": limits},
        },
        actor=system_actor("approval.test", XIANGQIAO),
    )
    await handlers.on_decided(tree_db, event)
    assert project.state == "under_review"
    count = await repository.overdue_count(tree_db, {XIANGQIAO}, today_in_china())
    assert count == {XIANGQIAO: 1}
