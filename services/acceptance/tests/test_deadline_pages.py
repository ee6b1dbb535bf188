"""期限 and pending 延期申请 lists over HTTP: keyset pages, each row named, one county's only."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.deadlines import today_in_china
from services.acceptance.completion import service as completion
from services.acceptance.deadlines import service
from services.acceptance.tests.support.api import Callers, client_for
from services.acceptance.tests.support.feed import actor, laizhou_project, project, subject

YUNAN = "445322"


async def _pages(client: Any, headers: dict[str, str], sort: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"sort": sort, "limit": 2}
    while True:
        page = await client.get("/v1/deadlines", headers=headers, params=params)
        assert page.status_code == 200, page.text
        assert len(page.json()) <= 2
        seen += page.json()
        if "X-Next-Cursor" not in page.headers:
            return seen
        params["cursor"] = page.headers["X-Next-Cursor"]


async def test_deadlines_page_without_repeating_or_skipping_and_name_their_projects(
    db: AsyncSession,
) -> None:
    pids = []
    for on in (date(2024, 3, 4), date(2024, 5, 6), date(2024, 7, 8)):
        pid = await laizhou_project(db)
        await completion.declare_completion(
            db, await project(db, pid), completed_on=on, note=None, actor=actor()
        )
        pids.append(pid)
    callers = Callers()
    bureau = callers.headers(subject("bureau_officer"))
    async with client_for(db, callers) as client:
        for sort in ("due", "-due"):
            whole = await client.get("/v1/deadlines", headers=bureau, params={"sort": sort})
            assert whole.status_code == 200 and "X-Next-Cursor" not in whole.headers
            expected = [d["id"] for d in whole.json()]
            assert len(expected) >= 3
            paged = await _pages(client, bureau, sort)
            assert [d["id"] for d in paged] == expected  # nothing twice, nothing left out
            days = [d["due_on"] for d in paged]
            assert days == sorted(days, reverse=sort == "-due")
        ours = [d for d in whole.json() if d["project_id"] in {str(p) for p in pids}]
        assert ours and all(d["project_name"] for d in ours)
        # Another county sees none of Laizhou's deadlines, on any page.
        sibling = callers.headers(subject("bureau_officer", tenant=YUNAN))
        assert await _pages(client, sibling, "due") == []
        # A cursor that is not one, or that was made for the other order, is refused.
        first = await client.get("/v1/deadlines", headers=bureau, params={"limit": 1})
        for params in (
            {"cursor": "不是游标"},
            {"cursor": first.headers["X-Next-Cursor"], "sort": "-due"},
        ):
            bad = await client.get("/v1/deadlines", headers=bureau, params=params)
            assert bad.status_code == 422, bad.text
            assert bad.headers["content-type"].startswith("application/problem+json")
            assert "游标无效" in bad.json()["detail"]
        assert (
            await client.get("/v1/deadlines", headers=bureau, params={"limit": 201})
        ).status_code == 422


async def test_pending_extensions_come_in_one_list_with_their_projects_names(
    db: AsyncSession,
) -> None:
    pid = await laizhou_project(db)
    copy = await project(db, pid)
    await completion.declare_completion(
        db, copy, completed_on=date(2024, 3, 4), note=None, actor=actor()
    )
    await service.request_extension(
        db,
        await project(db, pid),
        code="acceptance_due",
        until=date(2024, 12, 31),
        reason="测评排期",
        actor=actor(),
    )
    callers = Callers()
    async with client_for(db, callers) as client:
        pending = await client.get(
            "/v1/extensions", headers=callers.headers(subject("bureau_officer"))
        )
        assert pending.status_code == 200, pending.text
        mine = [e for e in pending.json() if e["project_id"] == str(pid)]
        assert len(mine) == 1 and mine[0]["status"] == "requested"
        assert mine[0]["project_name"] == copy.name and copy.name
        elsewhere = await client.get(
            "/v1/extensions", headers=callers.headers(subject("bureau_officer", tenant=YUNAN))
        )
        assert str(pid) not in {e["project_id"] for e in elsewhere.json()}


async def test_late_lists_deadlines_past_their_day_before_the_sweep_marks_them(
    db: AsyncSession,
) -> None:
    long_ago, just_now = await laizhou_project(db), await laizhou_project(db)
    for pid, on in ((long_ago, date(2024, 3, 4)), (just_now, today_in_china())):
        await completion.declare_completion(
            db, await project(db, pid), completed_on=on, note=None, actor=actor()
        )
    callers = Callers()
    bureau = callers.headers(subject("bureau_officer"))
    async with client_for(db, callers) as client:
        late = await client.get("/v1/deadlines", headers=bureau, params={"late": "true"})
        assert late.status_code == 200, late.text
        listed = {d["id"]: d for d in late.json()}
        today = today_in_china().isoformat()
        assert all(d["due_on"] < today and d["status"] != "met" for d in listed.values())
        every = (await client.get("/v1/deadlines", headers=bureau)).json()
        mine = [d for d in every if d["project_id"] in {str(long_ago), str(just_now)}]
        # Completed in 2024: its acceptance is past due although no sweep has marked it;
        # completed today: its acceptance is still ahead and not late.
        past = [d for d in mine if d["due_on"] < today]
        ahead = [d for d in mine if d["due_on"] >= today]
        assert past and ahead and all(d["status"] == "open" for d in past)
        assert {d["id"] for d in past} <= set(listed)
        assert not {d["id"] for d in ahead} & set(listed)
        # The sweep's mark alone would have missed them.
        swept = await client.get("/v1/deadlines", headers=bureau, params={"status": "overdue"})
        assert not {d["id"] for d in past} & {d["id"] for d in swept.json()}
        bad = await client.get("/v1/deadlines", headers=bureau, params={"late": "也许"})
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert bad.json()["title"] == "输入数据不合法" and bad.json()["field"] == "late"
