"""A finance system for the embedded default and the tests: answers 资金审核 requests.

It consumes ``govproj.<tenant>.budget.finance_review.requested`` (a durable
consumer, so requests made before it started are answered too) and publishes
``finance.<tenant>.review.answered`` exactly as a real finance system would:
CloudEvents headers, an ``external`` actor, integer yuan. The answer's event id
is derived from the request's, so a redelivered request yields the same answer
id and JetStream and the inbox drop the copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from libs.common.events import Event, ensure_streams, finance_subject, from_nats, to_nats
from libs.common.events._envelope import Actor

__all__ = ["Policy", "answer_for", "simulate"]

log = logging.getLogger("govproj.finance.simulator")
_NAMESPACE = uuid.UUID("7d3f6c1e-2b8a-4f5e-9a61-0c4b1d2e3f40")


@dataclass(frozen=True)
class Policy:
    """How the simulated finance office answers."""

    outcome: Literal["approve", "return", "reject"] = "approve"
    ratio: Decimal = Decimal("1")  # approved = floor(requested × ratio)
    years: int = 1  # funding spread over this many budget years
    first_year: int | None = None  # default: next year


def _split(amount: int, years: list[int]) -> list[dict[str, int]]:
    share, rest = divmod(amount, len(years))
    # The remainder goes to the first year, so the years add up to the yuan.
    return [{"year": y, "amount": share + (rest if i == 0 else 0)} for i, y in enumerate(years)]


def answer_for(request: Event, policy: Policy) -> Event:
    """The finance system's answer to one review request."""
    data = request.data
    tenant = request.tenant
    requested = int(data["requested_amount"])
    approved = 0
    funding: list[dict[str, int]] = []
    if policy.outcome == "approve":
        approved = int((Decimal(requested) * policy.ratio).to_integral_value(rounding=ROUND_FLOOR))
        approved = max(1, min(approved, requested))
        first = policy.first_year or (date.today().year + 1)
        funding = _split(approved, [first + i for i in range(max(1, policy.years))])
    opinions = {
        "approve": f"经审核，同意安排资金{approved}元（申请{requested}元）。",
        "return": "资金测算依据不足，退回补充材料后重新报审。",
        "reject": "不符合本级财政资金支持方向，不予安排。",
    }
    actor: Actor = {
        "type": "external",
        "id": f"finance-system@{tenant}",
        "tenant": tenant,
        "roles": ["finance_officer"],
    }
    body: dict[str, Any] = {
        "tenant": tenant,
        "review_id": data["review_id"],
        "project_id": data["project_id"],
        "submission": data.get("submission", 1),
        "step_id": data["step_id"],
        "outcome": policy.outcome,
        "approved_amount": approved,
        "opinion": opinions[policy.outcome],
        "funding_by_year": funding,
        "answered_by": "财政局资金审核（模拟）",
        "answered_on": date.today().isoformat(),
    }
    return Event(
        id=str(uuid.uuid5(_NAMESPACE, request.id)),
        type="finance.budget.review.answered.v1",
        source=f"/finance/{tenant}",
        subject=finance_subject(tenant, "review", "answered"),
        tenant=tenant,
        time=datetime.now(UTC),
        actor=actor,
        data=body,
    )


async def simulate(
    nats_url: str,
    tenant: str,
    policy: Policy,
    *,
    count: int | None = None,
    seconds: float | None = None,
    durable: str | None = None,
    from_now: bool = False,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Answer review requests of ``tenant`` until ``count`` are answered or ``seconds`` pass."""
    nc = await nats.connect(nats_url, name=f"govproj-finance-sim-{tenant}")
    answered = 0
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        name = durable or f"finance_sim_{tenant}"
        await js.add_consumer(
            "GOVPROJ",
            ConsumerConfig(
                name=name,
                durable_name=name,
                ack_policy=AckPolicy.EXPLICIT,
                # A durable consumer resumes where it stopped; from_now skips the past.
                deliver_policy=DeliverPolicy.NEW if from_now else DeliverPolicy.ALL,
                filter_subject=f"govproj.{tenant}.budget.finance_review.requested",
                ack_wait=30,
            ),
        )
        sub = await js.pull_subscribe_bind(durable=name, stream="GOVPROJ")
        if on_ready is not None:
            on_ready()
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        while count is None or answered < count:
            if deadline is not None and loop.time() >= deadline:
                break
            try:
                msgs = await sub.fetch(1, timeout=1.0)
            except TimeoutError:
                continue
            for msg in msgs:
                request = from_nats(msg.subject, msg.headers, msg.data)
                subject, headers, payload = to_nats(answer_for(request, policy))
                await js.publish(subject, payload, headers=headers)
                await msg.ack_sync()
                answered += 1
                log.info("answered review %s: %s", request.data.get("review_id"), policy.outcome)
    finally:
        # Every answer was PubAck'ed and every request acked: nothing is in flight, so
        # close rather than drain (a drain waits on the pull subscription's inbox).
        with contextlib.suppress(Exception):
            await asyncio.wait_for(nc.close(), timeout=5)
    return answered
