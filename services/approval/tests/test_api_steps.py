"""Acting on steps through the HTTP API: who may act (ADR 0008), experts, Idempotency-Key."""

from __future__ import annotations

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.models import Opinion
from services.approval.tests.support import (
    PROFESSIONAL,
    PUBLIC,
    YUNAN,
    YUNFU,
    Tokens,
    decided,
    submission,
)
from services.approval.workflow import repository

REJECT = {"outcome": "reject", "opinion": "不同意"}


async def _first_step(db: AsyncSession, facts: dict[str, object]) -> tuple[str, str, str]:
    sub = submission(YUNAN, dict(facts))
    wf = await decided(db, sub)
    step = (await repository.steps_of(db, wf))[0]
    return str(step.id), str(sub.project_id), str(sub.unit_id)


async def test_a_units_step_is_done_by_that_unit_only(
    seeded: AsyncSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    step, _, unit = await _first_step(seeded, PROFESSIONAL)  # 第十二条: the unit's catalog first
    url = f"/v1/steps/{step}/opinions"
    other = await client.post(
        url, headers=tokens.headers(YUNAN, "unit_officer", unit="another"), json=REJECT
    )
    assert other.status_code == 403 and other.json()["code"] == "other_unit"
    bureau = await client.post(url, headers=tokens.headers(YUNAN, "bureau_officer"), json=REJECT)
    assert bureau.status_code == 403 and bureau.json()["role"] == "unit_officer"
    assert bureau.json()["code"] == "not_your_step"
    mine = await client.post(
        url,
        headers=tokens.headers(YUNAN, "unit_officer", unit=unit),
        json={"outcome": "approve", "opinion": "已编制"},
    )
    assert mine.status_code == 200, mine.text
    assert mine.json()["steps"][0]["state"] == "approved"


async def test_the_bureaus_step_refuses_other_roles_the_city_and_a_sibling_county(
    seeded: AsyncSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    step, pid, _ = await _first_step(seeded, PUBLIC)  # 第十一条第（二）项: 专家论证 by the bureau
    url = f"/v1/steps/{step}/opinions"
    for role in ("finance_officer", "auditor"):
        r = await client.post(url, headers=tokens.headers(YUNAN, role), json=REJECT)
        assert r.status_code == 403, (role, r.text)
    city = await client.post(
        url, headers=tokens.headers(YUNFU, "overseer", "bureau_officer"), json=REJECT
    )
    assert city.status_code == 403 and city.json()["code"] == "read_only_tenant"
    read = await client.get(
        f"/v1/projects/{pid}/workflow", headers=tokens.headers(YUNFU, "overseer")
    )
    assert read.status_code == 200
    sibling = await client.post(
        url, headers=tokens.headers("440804", "bureau_officer"), json=REJECT
    )
    assert sibling.status_code == 404
    assert (await client.post(url, json=REJECT)).status_code == 401
    assert await seeded.scalar(sa.select(sa.func.count()).select_from(Opinion)) == 0


async def test_experts_see_only_their_own_opinion_until_the_bureau_concludes(
    seeded: AsyncSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    step, pid, _ = await _first_step(seeded, PUBLIC)
    bureau = tokens.headers(YUNAN, "bureau_officer")
    named = [{"user": "expert-li", "name": "李专家"}, {"user": "expert-wang", "name": "王专家"}]
    r = await client.put(f"/v1/steps/{step}/experts", headers=bureau, json={"experts": named})
    assert r.status_code == 200, r.text
    li = tokens.headers(YUNAN, "expert", user="expert-li")
    given = await client.post(
        f"/v1/steps/{step}/expert-opinions",
        headers=li,
        json={"conclusion": "disagree", "opinion": "需求论证不充分。"},
    )
    assert given.status_code == 200, given.text
    wang = tokens.headers(YUNAN, "expert", user="expert-wang")
    seen = (await client.get(f"/v1/projects/{pid}/workflow", headers=wang)).json()["steps"][0]
    assert seen["opinions"] == []
    assert {e["user"]: e["conclusion"] for e in seen["experts"]} == {
        "expert-li": None,
        "expert-wang": None,
    }
    own = (await client.get(f"/v1/projects/{pid}/workflow", headers=li)).json()["steps"][0]
    assert [o["opinion"] for o in own["opinions"]] == ["需求论证不充分。"]
    full = (await client.get(f"/v1/projects/{pid}/workflow", headers=bureau)).json()["steps"][0]
    assert [o["actor"]["id"] for o in full["opinions"]] == ["expert-li"]
    # An expert named in no review of this project does not see it at all.
    stranger = tokens.headers(YUNAN, "expert", user="expert-zhao")
    assert (await client.get(f"/v1/projects/{pid}/workflow", headers=stranger)).status_code == 404
    refused = await client.post(
        f"/v1/steps/{step}/expert-opinions",
        headers=stranger,
        json={"conclusion": "agree", "opinion": "同意"},
    )
    assert refused.status_code == 404


async def test_a_retried_opinion_answers_as_the_first_and_decides_once(
    seeded: AsyncSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    step, _, unit = await _first_step(seeded, PROFESSIONAL)
    headers = {**tokens.headers(YUNAN, "unit_officer", unit=unit), "Idempotency-Key": "op-1"}
    body = {"outcome": "approve", "opinion": "数据资源目录已编制"}
    first = await client.post(f"/v1/steps/{step}/opinions", headers=headers, json=body)
    again = await client.post(f"/v1/steps/{step}/opinions", headers=headers, json=body)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert await seeded.scalar(sa.select(sa.func.count()).select_from(Opinion)) == 1
    # Without the key, the same opinion again is a second action: the step is done.
    plain = tokens.headers(YUNAN, "unit_officer", unit=unit)
    late = await client.post(f"/v1/steps/{step}/opinions", headers=plain, json=body)
    assert late.status_code == 409 and late.json()["code"] == "step_not_open"


async def test_the_queue_shows_a_unit_its_own_steps_and_an_expert_its_pending_reviews(
    seeded: AsyncSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    unit_step, _, unit = await _first_step(seeded, PROFESSIONAL)
    review, _, _ = await _first_step(seeded, PUBLIC)

    async def queue(headers: dict[str, str]) -> set[str]:
        r = await client.get("/v1/tasks", headers=headers)
        assert r.status_code == 200, r.text
        return {t["step_id"] for t in r.json()["items"] if "step_id" in t}

    assert unit_step in await queue(tokens.headers(YUNAN, "unit_officer", unit=unit))
    assert unit_step not in await queue(tokens.headers(YUNAN, "unit_officer", unit="another"))
    assert review in await queue(tokens.headers(YUNAN, "bureau_officer"))
    li = tokens.headers(YUNAN, "expert", user="expert-li")
    assert review not in await queue(li)
    bureau = tokens.headers(YUNAN, "bureau_officer")
    named = {"experts": [{"user": "expert-li", "name": "李专家"}]}
    assert (await client.put(f"/v1/steps/{review}/experts", headers=bureau, json=named)).is_success
    assert review in await queue(li)
    opinion = {"conclusion": "agree", "opinion": "同意。"}
    r = await client.post(f"/v1/steps/{review}/expert-opinions", headers=li, json=opinion)
    assert r.status_code == 200, r.text
    assert review not in await queue(li)  # given: no longer a task of theirs
