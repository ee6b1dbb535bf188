"""Events are signed off by their producer (issue 16, item 8): forged tenant events change nothing.

A forged ``govproj.445103.registry.tenant.updated`` once moved 潮安区 under 湘桥区,
whose overseer then read 潮安's projects. Two locks now: the server refuses the
subject to every NATS user but the registry's, and a consumer dead-letters an
event whose subject, ``ce-source`` and contract's producer disagree.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import nats
import psycopg
import pytest

from libs.common.db.bootstrap import psycopg_url
from libs.common.events import NatsUsers, make_event, to_nats
from libs.common.testing.platform import RunningPlatform, eventually
from libs.common.testing.pytest_plugin import DatabaseUrls

FORGED_SUBJECT = "govproj.445103.registry.tenant.updated"
REPLICAS = ("approval", "budget", "acceptance", "archive")


def _forged(source: str) -> tuple[dict[str, str], bytes, str]:
    """潮安区 moved under 湘桥区 with a version far ahead, from ``source``."""
    ev = make_event(
        tenant="445103",
        service="registry",
        aggregate="tenant",
        event="updated",
        data={
            "tenant": "445103",
            "code": "445103",
            "name": "潮安区",
            "level": "county",
            "parent_code": "445102",
            "version": 999,
            "updated_at": datetime.now(UTC).isoformat(),
        },
        actor={"type": "system", "id": "forger", "tenant": None, "roles": []},
    )
    _, headers, payload = to_nats(ev)
    headers["ce-source"] = source
    return headers, payload, ev.id


def _parents(db: DatabaseUrls) -> dict[str, str | None]:
    with psycopg.connect(psycopg_url(db.owner)) as conn:
        return {
            schema: conn.execute(
                f'SELECT parent_code FROM "{schema}".tenants WHERE code = %s', ("445103",)
            ).fetchone()[0]
            for schema in REPLICAS
        }


def _dead(db: DatabaseUrls, event_id: str) -> dict[str, str]:
    with psycopg.connect(db.admin) as conn:
        return {
            schema: reason
            for schema in REPLICAS
            for (reason,) in conn.execute(
                f"SELECT reason FROM \"{schema}\".dead_letter WHERE headers->>'ce-id' = %s",
                (event_id,),
            ).fetchall()
        }


@pytest.fixture
def users(nats_users: NatsUsers | None) -> NatsUsers:
    if nats_users is None:
        pytest.skip("an external NATS server: its users are not the test's to know")
    return nats_users


async def _publish(url: str, headers: dict[str, str], payload: bytes) -> tuple[Any, list[str]]:
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    nc = await nats.connect(url, error_cb=on_error, allow_reconnect=False)
    try:
        try:
            ack: Any = await nc.jetstream().publish(
                FORGED_SUBJECT, payload, headers=headers, timeout=2
            )
        except Exception as exc:  # no PubAck: refused before the stream
            ack = exc
        await asyncio.sleep(0.2)
        return ack, errors
    finally:
        await nc.close()


def test_a_tenant_event_from_another_services_user_is_refused_by_the_server(
    platform: RunningPlatform, platform_db: DatabaseUrls, users: NatsUsers
) -> None:
    before = _parents(platform_db)
    assert set(before.values()) == {"445100"}
    headers, payload, _ = _forged("/govproj/registry")
    base = platform.env["GOVPROJ_NATS_URL"]
    ack, errors = asyncio.run(_publish(users.url(base, "approval"), headers, payload))
    assert isinstance(ack, Exception), ack
    assert any("permissions violation" in e.lower() for e in errors), errors
    assert _parents(platform_db) == before


def test_a_tenant_event_with_another_producers_source_is_dead_lettered_everywhere(
    platform: RunningPlatform, platform_db: DatabaseUrls, users: NatsUsers
) -> None:
    """Injected with the registry's own user, but not the registry's source: a forgery."""
    headers, payload, event_id = _forged("/govproj/approval")
    base = platform.env["GOVPROJ_NATS_URL"]
    ack, errors = asyncio.run(_publish(users.url(base, "registry"), headers, payload))
    assert not errors and ack.stream == "GOVPROJ"
    eventually(lambda: len(_dead(platform_db, event_id)) == len(REPLICAS), timeout=20)
    for schema, reason in _dead(platform_db, event_id).items():
        assert reason.startswith(
            "rejected: forged: govproj.registry.tenant.updated.v1 is "
            "registry's, but ce-source is /govproj/approval"
        ), (schema, reason)
    assert set(_parents(platform_db).values()) == {"445100"}


def test_nothing_without_credentials_reaches_the_platform(
    platform: RunningPlatform, users: NatsUsers
) -> None:
    base = platform.env["GOVPROJ_NATS_URL"].split("@")[-1]
    with pytest.raises(Exception, match="Authorization Violation"):
        asyncio.run(nats.connect(f"nats://{base}", allow_reconnect=False, connect_timeout=2))
