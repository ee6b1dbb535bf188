"""/v1/notifications: a person reads and marks only what is addressed to them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.testing.database import in_tenant
from services.registry.notifications.service import Audience, notify
from services.registry.tests.support import CHAOAN, YUNAN, Caller, make_project, make_unit


async def test_the_unit_reads_its_return_and_marks_it_read_another_county_cannot(
    api: httpx.AsyncClient, tree_db: AsyncSession, caller: Caller
) -> None:
    unit = await make_unit(tree_db)
    project = await make_project(tree_db, unit)
    await in_tenant(tree_db, YUNAN)
    [made] = await notify(
        tree_db,
        tenant=YUNAN,
        event_id=str(uuid.uuid4()),
        kind="acceptance_returned",
        audiences=[Audience.unit(unit.id)],
        project_id=project.id,
        project_name=project.name,
        facts={"reason": "缺少第三方测试报告"},
        at=datetime.now(UTC),
    )
    mine = caller.headers(YUNAN, "unit_officer", unit=unit.id)
    r = await api.get("/v1/notifications/unread", headers=mine)
    assert r.json() == {"unread": 1}
    r = await api.get("/v1/notifications", headers=mine)
    [item] = r.json()["items"]
    assert item["text"] == f"项目「{project.name}」的验收已退回。原因：缺少第三方测试报告"

    # The bureau of the same county is not the unit; a Chaoan officer is another county.
    for other in (
        caller.headers(YUNAN, "bureau_officer"),
        caller.headers(CHAOAN, "unit_officer", unit=unit.id),
    ):
        assert (await api.get("/v1/notifications/unread", headers=other)).json() == {"unread": 0}
        r = await api.post(
            f"/v1/notifications/{made}/read", headers={**other, "Idempotency-Key": "k-other"}
        )
        assert r.status_code == 404, r.text
        assert r.headers["content-type"].startswith("application/problem+json")

    r = await api.post(f"/v1/notifications/{made}/read", headers={**mine, "Idempotency-Key": "k1"})
    assert r.status_code == 200 and r.json()["read"] is True
    assert (await api.get("/v1/notifications/unread", headers=mine)).json() == {"unread": 0}
    r = await api.post("/v1/notifications/read-all", headers={**mine, "Idempotency-Key": "k2"})
    assert r.json() == {"marked": 0, "unread": 0}
