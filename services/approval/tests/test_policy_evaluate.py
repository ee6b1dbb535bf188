"""POST /v1/policy/evaluate: the decision answered without an Idempotency-Key, and replayed with one."""

from __future__ import annotations

import uuid

import httpx

from libs.common.idempotency import REPLAYED_HEADER
from services.approval.tests.support import PROFESSIONAL, YUNAN, Tokens


async def test_a_decision_is_answered_alike_with_and_without_a_key(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    bureau = tokens.headers(YUNAN, "bureau_officer")
    plain = await client.post("/v1/policy/evaluate", headers=bureau, json={"facts": PROFESSIONAL})
    assert plain.status_code == 200, plain.text
    assert REPLAYED_HEADER not in plain.headers
    assert plain.json()["route"]

    keyed = {**bureau, "Idempotency-Key": str(uuid.uuid4())}
    first = await client.post("/v1/policy/evaluate", headers=keyed, json={"facts": PROFESSIONAL})
    replay = await client.post("/v1/policy/evaluate", headers=keyed, json={"facts": PROFESSIONAL})
    assert first.status_code == replay.status_code == 200, replay.text
    assert REPLAYED_HEADER not in first.headers
    assert replay.headers[REPLAYED_HEADER] == "true"
    assert replay.json() == first.json() == plain.json()
