"""Finance review, arrangements and payments over events, on the real NATS and PostgreSQL.

The finance system is played by the test (publishing on ``finance.<tenant>.>``
exactly as docs/asyncapi.yaml says) and, end to end, by ``govproj finance
simulate`` as a separate process.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import nats
import psycopg
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.v1.event import CloudEvent

from libs.common.events import Event, NatsUsers, make_event, to_nats
from libs.common.testing.platform import RunningPlatform, eventually
from libs.common.testing.pytest_plugin import DatabaseUrls
from services.budget.events import CONSUMERS
from services.budget.finance import contract
from services.budget.finance.simulator import Policy, answer_for
from tests.support.budget import (
    LAIZHOU,
    LAIZHOU_ON,
    YUNAN,
    add_line,
    approval_event,
    fake_project,
    laizhou_facts,
    problem,
    publish,
    start_procurement,
    stream,
    submit,
    wait_state,
)

PROFESSIONAL = {"project_class": "professional", "service_types": ["software_development"]}
PUBLIC = {"project_class": "public", "service_types": ["software_development"]}
# The finance consumer's JetStream durable (its name plus the hash of what it reads).
FINANCE_DURABLE = CONSUMERS[0].jetstream_durable


def dead_letters(db: DatabaseUrls) -> list[dict[str, Any]]:
    with psycopg.connect(db.admin) as conn:
        rows = conn.execute(
            "SELECT subject, reason, convert_from(payload, 'UTF8') FROM budget.dead_letter "
            "WHERE consumer = 'budget_finance' ORDER BY received_at"
        ).fetchall()
    return [{"subject": s, "reason": r, "payload": p} for s, r, p in rows]


def finance_event(tenant: str, aggregate: str, name: str, data: dict[str, Any]) -> Event:
    """A message as the finance system sends it (its own type, source and actor)."""
    base = make_event(
        tenant=tenant,
        service="budget",  # only to get an id, a time and a checked actor
        aggregate=aggregate,
        event=name,
        data=data,
        actor={
            "type": "external",
            "id": f"finance-system@{tenant}",
            "tenant": tenant,
            "roles": ["finance_officer"],
        },
    )
    return Event(
        id=base.id,
        type=f"finance.budget.{aggregate}.{name}.v1",
        source=f"/finance/{tenant}",
        subject=f"finance.{tenant}.{aggregate}.{name}",
        tenant=tenant,
        time=base.time,
        actor=base.actor,
        data=data,
    )


def review_of(platform: RunningPlatform, budget: httpx.Client, tenant: str, pid: str) -> Any:
    r = budget.get(
        f"/v1/projects/{pid}/budget", headers=platform.headers(tenant, "finance_officer")
    )
    assert r.status_code == 200, r.text
    return r.json()


def open_finance_step(
    nats_url: str, tenant: str, pid: str, amount: int, asked: int, *, copies: int = 1
) -> str:
    """The approval service opens a finance step (``copies`` > 1: re-published, new ids)."""
    step_id = str(uuid.uuid4())
    workflow_id = str(uuid.uuid4())
    events = [
        approval_event(
            tenant,
            "step",
            "opened",
            {
                "project_id": pid,
                "submission": 1,
                "workflow_id": workflow_id,
                "step_id": step_id,
                "seq": 3,
                "code": "finance_review",
                "role": "finance_officer",
                "article": "第十二条第（三）项",
                "explanation": "建设单位将立项审批意见报县财政局审核",
                "project_name": "测试项目",
                "amount": amount,
                "approved_amount": asked,
                "route": "approval",
                "decision_id": None,
            },
        )
        for _ in range(copies)
    ]
    publish(nats_url, *events)
    return step_id


def test_bad_answers_are_dead_lettered_with_a_reason_and_change_nothing_then_finance_decides(
    platform: RunningPlatform, platform_db: DatabaseUrls, nats_url: str, budget: httpx.Client
) -> None:
    facts = {**PROFESSIONAL, "amount": 800_000, "software_amount": 800_000, "in_annual_plan": True}
    pid, _ = fake_project(platform, nats_url, budget, YUNAN, facts, date(2025, 3, 1), approve=False)
    # The workflow reaches finance after a cost review that cut the request to 760,000.
    # Published twice under two ids (a producer's replay): finance is asked once.
    step_id = open_finance_step(nats_url, YUNAN, pid, 800_000, 760_000, copies=2)
    eventually(lambda: len(review_of(platform, budget, YUNAN, pid)["finance_reviews"]) == 1)
    (review,) = review_of(platform, budget, YUNAN, pid)["finance_reviews"]
    assert review["status"] == "requested" and review["requested_amount"] == 760_000
    assert review["article"] == "第十二条第（三）项"
    (request,) = [
        e
        for e in stream(nats_url, f"govproj.{YUNAN}.budget.finance_review.requested")
        if e.data["project_id"] == pid
    ]
    assert contract.validate(request.type, request.data) is None
    assert request.data["reply_to"]["subject"] == f"finance.{YUNAN}.review.answered"
    assert request.actor["type"] == "system"

    good = answer_for(request, Policy(ratio=Decimal("0.75"), years=2, first_year=2026))
    before = len(dead_letters(platform_db))
    broken: list[tuple[dict[str, Any], str]] = [
        ({"approved_amount": 1.5}, "contract: approved_amount"),
        ({"approved_amount": 760_001}, "exceeds the requested 760000"),
        ({"review_id": str(uuid.uuid4())}, "unknown review_id"),
        (
            {"funding_by_year": [{"year": 2026, "amount": 1}]},
            "funding_by_year adds up to 1, not approved_amount 570000",
        ),
        ({"outcome": "reject"}, "reject carries no approved_amount"),
        ({"tenant": "445102"}, "tenant mismatch"),
    ]
    bad_events = [
        finance_event(YUNAN, "review", "answered", {**good.data, **change}) for change, _ in broken
    ]
    publish(nats_url, *bad_events)

    async def not_json() -> None:
        nc = await nats.connect(nats_url)
        subject, headers, _ = to_nats(finance_event(YUNAN, "review", "answered", good.data))
        await nc.jetstream().publish(subject, b"{not json", headers=headers)
        await nc.drain()

    asyncio.run(not_json())
    eventually(lambda: len(dead_letters(platform_db)) >= before + len(broken) + 1, timeout=20)
    reasons = [d["reason"] for d in dead_letters(platform_db)[before:]]
    for _, expected in broken:
        assert any(expected in r for r in reasons), (expected, reasons)
    assert any("payload is not JSON" in r for r in reasons)
    # Nothing changed: still waiting for finance, no amount taken.
    summary = review_of(platform, budget, YUNAN, pid)
    assert summary["finance_reviews"][0]["status"] == "requested"
    assert summary["finance_approved_amount"] is None and summary["approved_amount"] is None

    # The good answer, twice under its id and once more under a new id.
    publish(nats_url, good, good)
    eventually(
        lambda: (
            review_of(platform, budget, YUNAN, pid)["finance_reviews"][0]["status"] == "answered"
        )
    )
    publish(nats_url, finance_event(YUNAN, "review", "answered", good.data))
    eventually(lambda: any("already answered" in d["reason"] for d in dead_letters(platform_db)))
    summary = review_of(platform, budget, YUNAN, pid)
    (review,) = summary["finance_reviews"]
    # floor(760,000 × 0.75) = 570,000, as integers all the way.
    assert review["approved_amount"] == 570_000 and summary["approved_amount"] == 570_000
    assert review["funding_by_year"] == [
        {"year": 2026, "amount": 285_000},
        {"year": 2027, "amount": 285_000},
    ]
    assert review["answered_by"] == "财政局资金审核（模拟）"
    completed = [
        e
        for e in stream(nats_url, f"govproj.{YUNAN}.budget.finance_review.completed")
        if e.data["project_id"] == pid
    ]
    assert len(completed) == 1 and completed[0].data["step_id"] == step_id
    assert completed[0].data["approved_amount"] == 570_000
    assert completed[0].actor["id"] == f"finance-system@{YUNAN}"  # who decided
    # The lines now answer to 570,000.
    over = add_line(platform, budget, YUNAN, pid, kind="construction", amount=570_001)
    assert over.status_code == 422 and problem(over)["code"] == "budget_exceeds_total"


def test_a_finance_step_decided_by_hand_closes_the_request_and_the_budget_follows(
    platform: RunningPlatform, platform_db: DatabaseUrls, nats_url: str, budget: httpx.Client
) -> None:
    facts = {**PROFESSIONAL, "amount": 900_000, "software_amount": 900_000, "in_annual_plan": True}
    pid, _ = fake_project(platform, nats_url, budget, YUNAN, facts, date(2025, 3, 1), approve=False)
    step_id = open_finance_step(nats_url, YUNAN, pid, 900_000, 900_000)
    eventually(lambda: len(review_of(platform, budget, YUNAN, pid)["finance_reviews"]) == 1)
    (request,) = [
        e
        for e in stream(nats_url, f"govproj.{YUNAN}.budget.finance_review.requested")
        if e.data["project_id"] == pid
    ]
    # A finance officer decides in the approval API (the tenant has no finance system yet).
    hand = make_event(
        tenant=YUNAN,
        service="approval",
        aggregate="step",
        event="completed",
        data={
            "tenant": YUNAN,
            "project_id": pid,
            "submission": 1,
            "step_id": step_id,
            "code": "finance_review",
            "role": "finance_officer",
            "outcome": "approve",
            "opinion": "同意安排850000元",
            "approved_amount": 850_000,
        },
        actor={
            "type": "user",
            "id": "finance-officer-7",
            "tenant": YUNAN,
            "roles": ["finance_officer"],
        },
    )
    publish(nats_url, hand)
    eventually(
        lambda: review_of(platform, budget, YUNAN, pid)["finance_reviews"][0]["status"] == "closed"
    )
    summary = review_of(platform, budget, YUNAN, pid)
    assert summary["approved_amount"] == 850_000
    assert summary["finance_reviews"][0]["answered_by"] == "finance-officer-7"
    (closed,) = [
        e
        for e in stream(nats_url, f"govproj.{YUNAN}.budget.finance_review.closed")
        if e.data["project_id"] == pid
    ]
    assert closed.data["review_id"] == request.data["review_id"]
    # A late answer from the finance system is dead-lettered and changes nothing.
    before = len(dead_letters(platform_db))
    publish(nats_url, answer_for(request, Policy(ratio=Decimal("0.5"))))
    eventually(lambda: len(dead_letters(platform_db)) > before)
    assert "already answered" in dead_letters(platform_db)[-1]["reason"]
    assert review_of(platform, budget, YUNAN, pid)["approved_amount"] == 850_000


def test_arrangement_notices_are_recorded_once(
    platform: RunningPlatform, platform_db: DatabaseUrls, nats_url: str, budget: httpx.Client
) -> None:
    pid, _ = fake_project(platform, nats_url, budget, LAIZHOU, laizhou_facts(), LAIZHOU_ON)
    items = [{"project_id": pid, "amount": 500_000, "funding": "fiscal"}]
    notice: dict[str, Any] = {
        "tenant": LAIZHOU,
        "notice_no": f"莱财预〔2023〕{uuid.uuid4().hex[:4]}号",
        "year": 2024,
        "notified_on": "2023-12-15",
        "notified_by": "莱州市财政局",
        "items": items,
    }
    publish(nats_url, finance_event(LAIZHOU, "arrangement", "notified", notice))
    eventually(lambda: len(review_of(platform, budget, LAIZHOU, pid)["arrangements"]) == 1)
    # The same notice sent again (a new message) records nothing more.
    publish(nats_url, finance_event(LAIZHOU, "arrangement", "notified", notice))
    twice = {**notice, "notice_no": "另一号", "items": items * 2}
    before = len(dead_letters(platform_db))
    publish(nats_url, finance_event(LAIZHOU, "arrangement", "notified", twice))
    eventually(lambda: len(dead_letters(platform_db)) > before)
    assert "items name a project twice" in dead_letters(platform_db)[-1]["reason"]
    (arranged,) = review_of(platform, budget, LAIZHOU, pid)["arrangements"]
    assert arranged["amount"] == 500_000 and arranged["notified_by"] == "莱州市财政局"
    # The bureau reads the year's notices (坡头 第十五条: 通报政务服务数据管理局); other tenants do not.
    year = budget.get(
        "/v1/arrangements",
        params={"year": 2024},
        headers=platform.headers(LAIZHOU, "bureau_officer"),
    ).json()
    assert [i["amount"] for i in year["items"] if i["project_id"] == pid] == [500_000]
    assert year["total"] == sum(i["amount"] for i in year["items"])
    foreign = budget.get(
        "/v1/arrangements", params={"year": 2024}, headers=platform.headers(YUNAN, "bureau_officer")
    ).json()
    assert pid not in {i["project_id"] for i in foreign["items"]}
    assert (
        budget.get(
            "/v1/arrangements",
            params={"year": 1},
            headers=platform.headers(LAIZHOU, "bureau_officer"),
        ).status_code
        == 422
    )
    recorded = [
        e
        for e in stream(nats_url, f"govproj.{LAIZHOU}.budget.arrangement.recorded")
        if e.data["items"][0]["project_id"] == pid
    ]
    assert len(recorded) == 1


def test_payments_never_double_on_redelivery_retry_or_replay(
    platform: RunningPlatform, platform_db: DatabaseUrls, nats_url: str, budget: httpx.Client
) -> None:
    pid, _ = fake_project(platform, nats_url, budget, LAIZHOU, laizhou_facts(500_000), LAIZHOU_ON)
    headers = platform.headers(LAIZHOU, "bureau_officer")
    line = add_line(platform, budget, LAIZHOU, pid, kind="construction", amount=500_000).json()
    start_procurement(platform, budget, LAIZHOU, pid, "public_tender")
    voucher = f"GK-{pid[:8]}"

    def payment(no: str, amount: int) -> Event:
        return finance_event(
            LAIZHOU,
            "payment",
            "disbursed",
            {
                "tenant": LAIZHOU,
                "voucher_no": no,
                "project_id": pid,
                "line_kind": "construction",
                "amount": amount,
                "paid_on": "2023-07-01",
            },
        )

    first = payment(voucher, 123_457)
    # The same message twice, then the same payment under a new message id.
    publish(nats_url, first, first, payment(voucher, 123_457))

    def paid() -> int:
        return int(review_of(platform, budget, LAIZHOU, pid)["disbursed_total"])

    eventually(lambda: paid() == 123_457)
    # The unit registers the same voucher by hand: the first payment answers, nothing is added.
    body = {
        "line_id": line["id"],
        "amount": 123_457,
        "paid_on": "2023-07-01",
        "voucher_no": voucher,
    }
    again = budget.post(f"/v1/projects/{pid}/disbursements", headers=headers, json=body)
    assert again.status_code == 200 and again.json()["disbursed_total"] == 123_457
    other = budget.post(
        f"/v1/projects/{pid}/disbursements", headers=headers, json={**body, "amount": 1}
    )
    assert other.status_code == 409 and problem(other)["title"] == "凭证号已用于另一笔支付"
    key = {**headers, "Idempotency-Key": f"pay-{pid}"}
    second = {**body, "voucher_no": f"{voucher}-2", "amount": 76_543}
    r1 = budget.post(f"/v1/projects/{pid}/disbursements", headers=key, json=second)
    r2 = budget.post(f"/v1/projects/{pid}/disbursements", headers=key, json=second)
    assert r1.status_code == 201 and r2.json() == r1.json()
    assert paid() == 200_000
    # More than the line's balance is refused (and, from finance, dead-lettered).
    over = budget.post(
        f"/v1/projects/{pid}/disbursements",
        headers=headers,
        json={**body, "voucher_no": f"{voucher}-3", "amount": 300_001},
    )
    assert over.status_code == 409 and problem(over)["title"] == "支付金额超过预算科目余额"
    before = len(dead_letters(platform_db))
    publish(nats_url, payment(f"{voucher}-4", 300_001))
    eventually(lambda: len(dead_letters(platform_db)) > before)
    assert "over_line_balance" in dead_letters(platform_db)[-1]["reason"]

    # Replay: the finance consumer is deleted; it comes back and reads the stream from the start.
    async def drop_consumer() -> None:
        nc = await nats.connect(nats_url)
        await nc.jetstream().delete_consumer("FINANCE", FINANCE_DURABLE)
        await nc.drain()

    async def caught_up() -> bool:
        nc = await nats.connect(nats_url)
        try:
            info = await nc.jetstream().consumer_info("FINANCE", FINANCE_DURABLE)
            return bool(
                info.num_pending == 0
                and info.num_ack_pending == 0
                and info.delivered.stream_seq > 0
            )
        except Exception:
            return False
        finally:
            await nc.drain()

    asyncio.run(drop_consumer())
    eventually(lambda: asyncio.run(caught_up()), timeout=60)
    assert paid() == 200_000
    listed = budget.get(f"/v1/projects/{pid}/disbursements", headers=headers).json()
    assert [d["amount"] for d in listed] == [123_457, 76_543]
    recorded = [
        e
        for e in stream(nats_url, f"govproj.{LAIZHOU}.budget.disbursement.recorded")
        if e.data["project_id"] == pid
    ]
    assert sorted(e.data["voucher_no"] for e in recorded) == [voucher, f"{voucher}-2"]


def test_yunan_approval_waits_for_finance_which_approves_less_and_the_budget_follows(
    platform: RunningPlatform, nats_url: str, budget: httpx.Client
) -> None:
    from tests.integration.workflow_support import (
        act,
        experts_agree,
        open_step,
        planned_project,
        workflow_of,
    )

    with platform.client("registry") as registry, platform.client("approval") as approval:
        _, pid = planned_project(platform, registry, YUNAN, facts=PUBLIC)
        # The finance system of Yunan: approves 80% of what it is asked.
        sim = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "govproj.cli",
                "finance",
                "simulate",
                "--tenant",
                YUNAN,
                "--ratio",
                "0.8",
                "--years",
                "2",
                "--count",
                "1",
                "--seconds",
                "120",
                "--from-now",
                "--durable",
                f"sim_{uuid.uuid4().hex[:8]}",
                "--nats-url",
                nats_url,
            ],
            env={**os.environ, **platform.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            assert sim.stdout is not None
            ready = sim.stdout.readline()
            assert b"listening for review requests of 445322" in ready, ready
            submit(platform, registry, YUNAN, pid)
            wf = workflow_of(platform, approval, YUNAN, pid)
            while open_step(wf)["code"] != "finance_review":
                step = open_step(wf)
                if step["code"] == "expert_review":
                    experts_agree(platform, approval, YUNAN, step)
                wf = act(platform, approval, YUNAN, step)
            finance_step = open_step(wf)
            headers = platform.headers(YUNAN, "bureau_officer")
            # The workflow waits: finance's step stays open until finance answers.
            assert (
                approval.get(f"/v1/projects/{pid}/workflow", headers=headers).json()["state"]
                == "open"
            )

            def finance_done() -> bool:
                got = approval.get(f"/v1/projects/{pid}/workflow", headers=headers).json()
                step = next(s for s in got["steps"] if s["step_id"] == finance_step["step_id"])
                wf.update(got)
                return bool(step["state"] != "open")

            eventually(finance_done, timeout=60)
            out, _ = sim.communicate(timeout=30)
            assert b"answered 1 review request(s) for 445322" in out, out
        finally:
            if sim.poll() is None:
                sim.kill()
                sim.wait()
        step = next(s for s in wf["steps"] if s["step_id"] == finance_step["step_id"])
        assert step["state"] != "open"
        # 800,000 asked; finance approved floor(800,000 × 0.8) = 640,000.
        assert wf["approved_amount"] == 640_000
        while wf["state"] == "open":
            wf = act(platform, approval, YUNAN, open_step(wf))
        assert wf["state"] == "approved" and wf["approval"]["approved_amount"] == 640_000
        wait_state(platform, registry, YUNAN, pid, "approved")

        def reflected() -> bool:
            s = review_of(platform, budget, YUNAN, pid)
            return bool(s["status"] == "approved" and s["approved_amount"] == 640_000)

        eventually(reflected, timeout=20)
        summary = review_of(platform, budget, YUNAN, pid)
        (review,) = summary["finance_reviews"]
        assert review["status"] == "answered" and review["requested_amount"] == 800_000
        assert review["approved_amount"] == 640_000
        assert sum(y["amount"] for y in review["funding_by_year"]) == 640_000
        assert summary["amount"] == 800_000 and summary["total"] == 640_000
        over = add_line(platform, budget, YUNAN, pid, kind="construction", amount=640_001)
        assert over.status_code == 422 and problem(over)["article"]
        assert (
            add_line(platform, budget, YUNAN, pid, kind="construction", amount=640_000).status_code
            == 201
        )


def test_every_event_the_budget_service_published_holds_to_its_schema(
    nats_url: str, platform_db: DatabaseUrls
) -> None:
    # What the budget service itself published: its outbox's ids. The stream also
    # holds events other tests forged in budget's name to probe their consumers.
    with psycopg.connect(platform_db.admin) as conn:
        ours = {str(i) for (i,) in conn.execute("SELECT id FROM budget.outbox").fetchall()}
    events = [e for e in stream(nats_url, "govproj.*.budget.>") if e.id in ours]
    assert events, "the budget service published nothing"
    seen = set()
    for event in events:
        assert event.source == "/govproj/budget" and event.actor["id"]
        why = contract.validate(event.type, event.data)
        assert why is None, (event.type, why, json.dumps(event.data, ensure_ascii=False))
        seen.add(event.type)
    assert {
        "govproj.budget.finance_review.requested.v1",
        "govproj.budget.finance_review.completed.v1",
        "govproj.budget.arrangement.recorded.v1",
        "govproj.budget.disbursement.recorded.v1",
        "govproj.budget.finance_review.closed.v1",
    } <= seen


def test_an_answer_encoded_by_the_cloudevents_sdk_is_applied(
    platform: RunningPlatform,
    nats_url: str,
    nats_users: NatsUsers | None,
    budget: httpx.Client,
) -> None:
    """A finance system built on the official SDK (percent-encoded headers) is understood.

    Before the binding's rules were followed this answer was dead-lettered with
    "ce-actor is not JSON".
    """
    facts = {**PROFESSIONAL, "amount": 700_000, "software_amount": 700_000, "in_annual_plan": True}
    pid, _ = fake_project(platform, nats_url, budget, YUNAN, facts, date(2025, 3, 1), approve=False)
    open_finance_step(nats_url, YUNAN, pid, 700_000, 700_000)
    eventually(lambda: len(review_of(platform, budget, YUNAN, pid)["finance_reviews"]) == 1)
    (request,) = [
        e
        for e in stream(nats_url, f"govproj.{YUNAN}.budget.finance_review.requested")
        if e.data["project_id"] == pid
    ]
    answer = answer_for(request, Policy(ratio=Decimal("0.5")))
    officer = {
        "type": "user",
        "id": "cz-100%",  # a literal % survives the encoding
        "name": "王五（郁南县财政局）",
        "tenant": YUNAN,
        "roles": ["finance_officer"],
    }
    sdk_event = CloudEvent(
        attributes={
            "id": answer.id,
            "type": answer.type,
            "source": answer.source,
            "time": answer.time,
            "datacontenttype": "application/json",
            "tenant": YUNAN,
            "actor": json.dumps(officer, ensure_ascii=False),
        },
        data=answer.data,
    )
    message = ce_http.to_binary_event(sdk_event)
    assert "%22" in message.headers["ce-actor"]  # percent-encoded, as the SDK does
    url = nats_users.url(nats_url, "finance") if nats_users else nats_url

    async def send() -> None:
        nc = await nats.connect(url)
        try:
            await nc.jetstream().publish(answer.subject, message.body, headers=message.headers)
        finally:
            await nc.drain()

    asyncio.run(send())
    eventually(
        lambda: (
            review_of(platform, budget, YUNAN, pid)["finance_reviews"][0]["status"] == "answered"
        )
    )
    (completed,) = [
        e
        for e in stream(nats_url, f"govproj.{YUNAN}.budget.finance_review.completed")
        if e.data["project_id"] == pid
    ]
    assert completed.actor == officer  # who decided, with the name, carried on
