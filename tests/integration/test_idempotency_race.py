"""Two requests racing with the same Idempotency-Key: one effect, the same answer.

A county office's flaky uplink makes the console (or a finance client) send the
same POST twice at once. The first INSERT of the key holds its row until its
transaction commits; the second waits on it and replays the stored response
(libs/common/idempotency.py).
"""

from __future__ import annotations

import asyncio
import uuid

import httpx

from libs.common.testing.platform import RunningPlatform
from tests.support.registry import project_body

YUNAN = "445322"


async def _race(platform: RunningPlatform, unit: str, key: str) -> list[httpx.Response]:
    headers = {**platform.headers(YUNAN, "unit_officer", unit=unit), "Idempotency-Key": key}
    body = project_body(unit, name=f"并发提交测试项目{key[:6]}", description="同一幂等键的并发重试")
    async with httpx.AsyncClient(base_url=platform.urls["registry"], timeout=30) as client:
        return list(
            await asyncio.gather(
                *(client.post("/v1/projects", headers=headers, json=body) for _ in range(4))
            )
        )


def test_concurrent_retries_with_one_key_make_one_project_and_answer_alike(
    platform: RunningPlatform,
) -> None:
    bureau = platform.headers(YUNAN, "bureau_officer")
    with platform.client("registry") as registry:
        unit = registry.post(
            "/v1/units", headers=bureau, json={"name": f"并发测试单位{uuid.uuid4().hex[:6]}"}
        )
        assert unit.status_code == 201, unit.text
        unit_id = unit.json()["id"]
        answers = asyncio.run(_race(platform, unit_id, uuid.uuid4().hex))
        assert [a.status_code for a in answers] == [201] * 4, [a.text[:200] for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 3
        listed = registry.get("/v1/projects", headers=bureau, params={"unit_id": unit_id}).json()
        assert len(listed["items"]) == 1
