"""Change requests through the HTTP API: the 15% limit, unit scope, Idempotency-Key."""

from __future__ import annotations

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.models import ChangeRequest
from services.approval.tests.support import (
    CHAOZHOU,
    XIANGQIAO,
    Tokens,
    approve_all,
    decided,
    submission,
)


async def _filed(db: AsyncSession, tenant: str = XIANGQIAO) -> tuple[str, str]:
    """An 800,000-yuan software project filed in 湘桥区 (潮州 第十二条); (project, unit)."""
    sub = submission(tenant)
    await approve_all(db, await decided(db, sub))
    return str(sub.project_id), str(sub.unit_id)


async def _changes(db: AsyncSession, project_id: str) -> int:
    return int(
        await db.scalar(
            sa.select(sa.func.count())
            .select_from(ChangeRequest)
            .where(ChangeRequest.project_id == project_id)
        )
        or 0
    )


async def test_a_retried_change_request_is_filed_once_and_counts_once(
    seeded: AsyncSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    pid, unit = await _filed(seeded)
    headers = {**tokens.headers(XIANGQIAO, "unit_officer", unit=unit), "Idempotency-Key": "c-1"}
    body = {"kind": "adjustment", "reason": "调整接口开发内容", "adjustment_amount": 120_000}
    first = await client.post(f"/v1/projects/{pid}/changes", headers=headers, json=body)
    assert first.status_code == 201, first.text
    again = await client.post(f"/v1/projects/{pid}/changes", headers=headers, json=body)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await _changes(seeded, pid) == 1
    listed = await client.get(f"/v1/projects/{pid}/changes", headers=headers)
    assert listed.json()["cumulative_adjustment"] == 120_000
    # The same key with another body is refused and files nothing.
    other = await client.post(
        f"/v1/projects/{pid}/changes", headers=headers, json={**body, "adjustment_amount": 1}
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert await _changes(seeded, pid) == 1


async def test_15_percent_is_filed_and_one_more_yuan_goes_back_to_approval(
    seeded: AsyncSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    pid, unit = await _filed(seeded)
    headers = tokens.headers(XIANGQIAO, "unit_officer", unit=unit)
    url = f"/v1/projects/{pid}/changes"
    # 潮府办〔2020〕20号 第二十条: ≤ 15% of the approved total, goals unchanged → filed.
    filed = await client.post(
        url,
        headers=headers,
        json={"kind": "adjustment", "reason": "调整", "adjustment_amount": 120_000},
    )
    assert filed.json()["state"] == "filed" and filed.json()["article"] == "第二十条"
    over = await client.post(
        url,
        headers=headers,
        json={"kind": "adjustment", "reason": "再调一元", "adjustment_amount": 1},
    )
    assert over.json()["state"] == "under_review" and over.json()["cumulative_amount"] == 120_001
    assert over.json()["review_workflow_id"] is not None
    # The amounts read as on the documents: 万元 with the exact 元 beside it.
    assert "累计调整金额12.0001万元（120,001元）" in over.json()["explanation"]


async def test_only_the_projects_own_unit_may_request_a_change(
    seeded: AsyncSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    pid, unit = await _filed(seeded)
    url = f"/v1/projects/{pid}/changes"
    body = {"kind": "adjustment", "reason": "调整", "adjustment_amount": 1_000}
    other_unit = await client.post(
        url, headers=tokens.headers(XIANGQIAO, "unit_officer", unit="another-unit"), json=body
    )
    assert other_unit.status_code == 403 and other_unit.json()["code"] == "other_unit"
    assert "another-unit" not in other_unit.json()["detail"] and unit not in other_unit.text
    no_claim = await client.post(url, headers=tokens.headers(XIANGQIAO, "unit_officer"), json=body)
    assert no_claim.status_code == 403 and no_claim.json()["code"] == "unit_claim_missing"
    # The overseeing city reads its county's project but changes nothing of it.
    city = await client.post(
        url, headers=tokens.headers(CHAOZHOU, "overseer", "bureau_officer"), json=body
    )
    assert city.status_code == 403 and city.json()["code"] == "read_only_tenant"
    assert (await client.get(url, headers=tokens.headers(CHAOZHOU, "overseer"))).status_code == 200
    # A sibling county does not see it at all.
    sibling = await client.post(url, headers=tokens.headers("445103", "bureau_officer"), json=body)
    assert sibling.status_code == 409  # no approval of that project in its jurisdiction
    assert await _changes(seeded, pid) == 0
    # The bureau may file for any unit of its own jurisdiction.
    bureau = await client.post(url, headers=tokens.headers(XIANGQIAO, "bureau_officer"), json=body)
    assert bureau.status_code == 201, bureau.text
