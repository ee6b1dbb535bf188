"""Submissions decided a batch at a time leave exactly what deciding them one by one leaves.

The same submitted events (several tenants and packs, a route with no review, facts the
pack refuses, a forged event, a redelivery, a submission decided before, a project name
the database refuses) go through two consumers on two databases: one fetching up to 64
events a transaction (the decisions of a tenant's run in one call), one fetching one.
Decisions, citations, workflows, steps, the events emitted (payload and order), the
inbox and the dead letters are compared: real PostgreSQL and real JetStream.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import nats
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import TenantContext, create_engine, create_sessionmaker, transaction
from libs.common.events import (
    BatchHandler,
    ConsumerRunner,
    Event,
    durable_name,
    ensure_streams,
    to_nats,
)
from libs.common.events._envelope import H_SOURCE
from libs.common.testing.consumers import run_until
from libs.common.testing.database import migrated_database
from libs.common.testing.pytest_plugin import DatabaseUrls
from services.approval import events
from services.approval.tests.support import (
    CHAOAN,
    POTOU,
    PROFESSIONAL,
    PUBLIC,
    UNCATALOGUED,
    XIANGQIAO,
    YUNAN,
    grant,
    person,
    potou_project,
    seed_tenants,
)
from tests.support.registry import submitted_event

batch_db = migrated_database("approval")
single_db = migrated_database("approval")

SUBMITTED = "govproj.registry.project.submitted.v1"
SUBJECTS = ["govproj.*.registry.project.>"]
LAIZHOU = "370683"


def _submitted(tenant: str, facts: dict[str, Any], **data: Any) -> Event:
    return submitted_event(tenant, facts, source="registry.test", **data)


#: A Potou project whose bureau waived 第八条 (its decision cites the exception).
WAIVED = uuid.uuid4()


def _messages() -> tuple[list[tuple[str, dict[str, str], bytes]], ...]:
    """Two rounds of messages: the second holds an event the database refuses (every
    event of that batch then applies alone)."""
    first = _submitted(YUNAN, PUBLIC)
    uncatalogued = potou_project(systems=[UNCATALOGUED])
    rounds: tuple[list[Event], list[Event]] = (
        [
            first,
            _submitted(YUNAN, PROFESSIONAL),
            _submitted(YUNAN, {**PUBLIC, "amount": 50_000, "software_amount": 50_000}),
            _submitted(YUNAN, {"project_class": "no such class"}),  # decision_failed
            _submitted(YUNAN, PUBLIC, submitted_on="1999-01-01"),  # no pack in force
            # Another event for the same submission: decided before, nothing happens.
            _submitted(YUNAN, PROFESSIONAL, project_id=first.data["project_id"]),
            _submitted(YUNAN, PROFESSIONAL),
            _submitted(POTOU, uncatalogued, project_id=str(WAIVED)),
            _submitted(POTOU, uncatalogued),  # the same facts, still barred
            _submitted(CHAOAN, PUBLIC),
            _submitted(XIANGQIAO, PROFESSIONAL),
            _submitted(LAIZHOU, PUBLIC),
        ],
        [
            _submitted(CHAOAN, PROFESSIONAL),
            _submitted(CHAOAN, PUBLIC, name="超" * 300),  # longer than the column
            _submitted(CHAOAN, PROFESSIONAL),
            _submitted(YUNAN, PUBLIC),
        ],
    )
    one, two = ([to_nats(e) for e in r] for r in rounds)
    # A forged event (registry's subject, another service as its source) amid a run.
    forged = _submitted(YUNAN, PUBLIC)
    subject, headers, payload = to_nats(forged)
    one.insert(3, (subject, {**headers, H_SOURCE: "/govproj/budget"}, payload))
    return one, two


async def _seed(urls: DatabaseUrls) -> None:
    engine = create_engine(urls.app, pool_size=1)
    maker = create_sessionmaker(engine)
    async with transaction(maker, TenantContext.own(YUNAN)) as session:
        await seed_tenants(session)
    async with transaction(maker, TenantContext.own(POTOU)) as session:
        await grant(session, person(POTOU, "bureau_officer"), WAIVED)
    await engine.dispose()


def _normalise(text: str, ids: dict[str, str]) -> str:
    """Generated ids (decisions, workflows, steps, events) named by what they are."""
    return re.sub(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        lambda m: ids.get(m.group(0), m.group(0)),
        text,
    )


async def _named(conn: Any, ids: dict[str, str], name: str, query: str) -> list[Any]:
    """The rows of ``query``; each row's generated id named after what it is (``name``)."""
    rows = await conn.fetch(query)
    for row in rows:
        ids[str(row["id"])] = name.format(**row)
    return list(rows)


async def _state(admin: str) -> dict[str, Any]:
    """What the consumer left, with generated ids and times left out or named."""
    conn = await asyncpg.connect(admin)
    try:
        ids: dict[str, str] = {}
        decisions = await _named(
            conn,
            ids,
            "decision:{project_id}",
            "SELECT id, tenant_id, project_id, submission, submitted_on, route, provisional, "
            "policy_id, policy_sha256, decision::text, facts::text, source_event_id "
            "FROM approval.decisions ORDER BY project_id",
        )
        workflows = await _named(
            conn,
            ids,
            "workflow:{project_id}",
            "SELECT id, tenant_id, project_id, submission, decision_id, purpose, route, "
            "route_article, project_name, unit_id, amount, approved_amount, state, reason, "
            "closed_at IS NULL AS open, version FROM approval.workflows ORDER BY project_id",
        )
        steps = await _named(
            conn,
            ids,
            "step:{project_id}:{seq}",
            "SELECT s.id, w.project_id, s.seq, s.code, s.role, s.article, s.explanation, "
            "s.state, s.opened_at IS NULL AS pending, s.experts::text FROM approval.steps s "
            "JOIN approval.workflows w ON w.id = s.workflow_id ORDER BY w.project_id, s.seq",
        )
        outbox = await conn.fetch(
            # What the consumers emitted (the seed's exception has its own ids and time).
            "SELECT tenant_id, subject, type, payload::text FROM approval.outbox "
            "WHERE type <> 'govproj.approval.exception.granted.v1' ORDER BY id"
        )
        inbox = await conn.fetch(
            "SELECT tenant_id, event_id, subject, type FROM approval.inbox ORDER BY event_id"
        )
        dead = await conn.fetch("SELECT subject, reason FROM approval.dead_letter")
    finally:
        await conn.close()

    def rows(records: Sequence[Any]) -> list[str]:
        return [
            _normalise(json.dumps([str(v) for v in r.values()], ensure_ascii=False), ids)
            for r in records
        ]

    def drop_id(records: Sequence[Any]) -> list[Any]:
        return [dict(r) | {"id": None} for r in records]

    return {
        "decisions": rows(drop_id(decisions)),
        "workflows": rows(drop_id(workflows)),
        "steps": rows(drop_id(steps)),
        "outbox": rows(outbox),
        "inbox": rows(inbox),
        # The reason's first line: a database error goes on with its SQL and parameters.
        "dead": sorted(rows([{"s": d["subject"], "r": d["reason"].split("\n")[0]} for d in dead])),
    }


async def _consume(
    urls: DatabaseUrls,
    nats_url: str,
    durable: str,
    batch_size: int,
    runs: list[int],
) -> None:
    """Run a consumer until it has nothing pending (every message acked or terminated)."""
    engine = create_engine(urls.app, pool_size=2)

    async def counted(session: AsyncSession, batch: Sequence[Event]) -> None:
        runs.append(len(batch))
        on_submitted = events.HANDLERS[SUBMITTED]
        assert isinstance(on_submitted, BatchHandler)
        await on_submitted.apply(session, batch)

    runner = ConsumerRunner(
        create_sessionmaker(engine),
        nats_url,
        schema="approval",
        durable=durable,
        stream="GOVPROJ",
        filter_subjects=SUBJECTS,
        handlers={SUBMITTED: BatchHandler(counted)},
        batch_size=batch_size,
        max_deliver=1,
        backoff=[0.1],
        ack_wait=5.0,
        idle_timeout=0.3,
    )

    nc = await nats.connect(nats_url)
    js = nc.jetstream()

    async def done() -> bool:
        try:
            info = await js.consumer_info("GOVPROJ", runner.durable)
        except nats.js.errors.NotFoundError:
            return False  # not created yet
        return bool(info.delivered.stream_seq) and not (info.num_pending or info.num_ack_pending)

    await run_until(runner, done, stop_timeout=15)
    await nc.close()
    await engine.dispose()


async def test_a_batch_of_submissions_leaves_what_one_by_one_leaves(
    batch_db: DatabaseUrls, single_db: DatabaseUrls, nats_url: str
) -> None:
    await _seed(batch_db)
    await _seed(single_db)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_streams(js)
    tag = uuid.uuid4().hex[:8]
    batched: list[int] = []
    single: list[int] = []
    for round_, messages in enumerate(_messages()):
        for subject, headers, payload in messages:
            await js.publish(subject, payload, headers=headers)
        for urls, durable, size, runs in (
            (batch_db, f"approval_batch_{tag}", 64, batched),
            (single_db, f"approval_single_{tag}", 1, single),
        ):
            if round_:
                # A durable lost with its acks: the first round's events come again,
                # in the second round's batches (the inbox must skip them).
                await js.delete_consumer("GOVPROJ", durable_name(durable, SUBJECTS))
            await _consume(urls, nats_url, durable, size, runs)
    await nc.close()

    by_batch, one_by_one = await _state(batch_db.admin), await _state(single_db.admin)
    for key, rows in one_by_one.items():
        assert by_batch[key] == rows, key
    # What was compared holds every case (other tests' submissions on the stream add to it).
    types = [json.loads(row)[2] for row in one_by_one["outbox"]]
    assert types.count("govproj.approval.project.decided.v1") >= 11
    assert types.count("govproj.approval.project.decision_failed.v1") >= 3
    assert "govproj.approval.workflow.closed.v1" in types
    assert sum("该系统已报送补录" in d for d in one_by_one["decisions"]) == 1
    assert max(batched) > 1 and max(single) == 1
    reasons = one_by_one["dead"]
    assert any("rejected: forged" in r for r in reasons), reasons
    assert any("handler failed 1 times" in r and "value too long" in r for r in reasons), reasons
