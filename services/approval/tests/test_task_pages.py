"""我的待办 a page at a time: keyset pages in the order chosen, one county's steps only."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.tests.support import CHAOAN, PUBLIC, YUNAN, Tokens, decided, submission


async def _pages(client: httpx.AsyncClient, headers: dict[str, str], sort: str) -> list[str]:
    seen: list[str] = []
    params: dict[str, Any] = {"sort": sort, "limit": 2}
    while True:
        page = await client.get("/v1/tasks", headers=headers, params=params)
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) <= 2
        seen += [t["step_id"] for t in page.json()["items"]]
        if page.json()["next_cursor"] is None:
            return seen
        params["cursor"] = page.json()["next_cursor"]


async def test_the_queue_pages_without_repeating_or_skipping_a_step(
    seeded: AsyncSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    elsewhere = await decided(seeded, submission(CHAOAN, dict(PUBLIC)))
    for amount in (3_000_000, 1_000_000, 5_000_000, 2_000_000, 4_000_000):
        await decided(seeded, submission(YUNAN, {**PUBLIC, "amount": amount}))
    bureau = tokens.headers(YUNAN, "bureau_officer")
    for sort in ("opened", "-opened", "amount", "-amount", "name"):
        whole = await client.get("/v1/tasks", headers=bureau, params={"sort": sort})
        assert whole.status_code == 200 and whole.json()["next_cursor"] is None
        expected = [t["step_id"] for t in whole.json()["items"]]
        assert len(expected) >= 5
        assert await _pages(client, bureau, sort) == expected  # nothing twice, nothing left out
        assert str(elsewhere.id) not in {t["workflow_id"] for t in whole.json()["items"]}
        if sort.endswith("amount"):
            amounts = [t["amount"] for t in whole.json()["items"]]
            assert amounts == sorted(amounts, reverse=sort.startswith("-"))
    first = await client.get("/v1/tasks", headers=bureau, params={"limit": 1})
    for params in (
        {"cursor": "不是游标"},
        {"cursor": first.json()["next_cursor"], "sort": "-amount"},
    ):
        bad = await client.get("/v1/tasks", headers=bureau, params=params)
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert "游标无效" in bad.json()["detail"]
    unknown = await client.get("/v1/tasks", headers=bureau, params={"sort": "colour"})
    assert unknown.status_code == 422 and "排序方式无效" in unknown.json()["detail"]
