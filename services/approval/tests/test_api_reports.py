"""A county's result reported up to the city (潮州 第十四条), and the city's receipt."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.tests.support import (
    CHAOAN,
    CHAOZHOU,
    XIANGQIAO,
    Tokens,
    approve_all,
    decided,
    submission,
)


async def test_the_city_acknowledges_its_countys_report_once(
    seeded: AsyncSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    sub = submission(XIANGQIAO)
    await approve_all(seeded, await decided(seeded, sub))
    city = tokens.headers(CHAOZHOU, "overseer")
    queue = (await client.get("/v1/tasks", headers=city)).json()["items"]
    (report,) = [
        t for t in queue if t["kind"] == "report" and t["project_id"] == str(sub.project_id)
    ]
    assert report["article"] == "第十四条" and report["tenant"] == XIANGQIAO
    url = f"/v1/reports/{report['report_id']}/receipt"
    sibling = await client.post(url, headers=tokens.headers(CHAOAN, "overseer"), json={})
    assert sibling.status_code == 404
    county = await client.post(url, headers=tokens.headers(XIANGQIAO, "bureau_officer"), json={})
    assert county.status_code == 403  # acknowledging is the overseer's (oversight.acknowledge)
    keyed = {**city, "Idempotency-Key": "receipt-1"}
    first = await client.post(url, headers=keyed, json={"note": "已收悉"})
    assert first.status_code == 201 and first.json()["received_at"], first.text
    replay = await client.post(url, headers=keyed, json={"note": "已收悉"})
    assert replay.status_code == 201 and replay.json() == first.json()
    again = await client.post(url, headers=city, json={})
    assert again.status_code == 409 and again.json()["code"] == "already_received"
    queue = (await client.get("/v1/tasks", headers=city)).json()["items"]
    assert report["report_id"] not in {t.get("report_id") for t in queue}
