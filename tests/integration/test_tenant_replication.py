"""The tenant tree is the registry's; every other service learns it through NATS."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import unquote

import nats
import psycopg

from libs.common.db.bootstrap import psycopg_url
from libs.common.testing.platform import RunningPlatform, eventually
from libs.common.testing.pytest_plugin import DatabaseUrls

REPLICAS = ("approval", "budget", "acceptance", "archive")


def _replica_rows(db: DatabaseUrls, schema: str, code: str) -> list[tuple[str, str, int]]:
    with psycopg.connect(psycopg_url(db.owner)) as conn:
        return conn.execute(
            f'SELECT code, name, version FROM "{schema}".tenants WHERE code = %s',
            (code,),
        ).fetchall()


def test_new_tenant_appears_exactly_once_in_every_replica(
    platform: RunningPlatform, platform_db: DatabaseUrls
) -> None:
    admin = platform.headers("440000", "platform_admin", user="admin")
    with platform.client("registry") as registry:
        r = registry.post(
            "/v1/tenants",
            headers=admin,
            json={"code": "445302", "name": "云城区", "level": "county", "parent_code": "445300"},
        )
        assert r.status_code == 201, r.text

    for schema in REPLICAS:
        eventually(lambda s=schema: len(_replica_rows(platform_db, s, "445302")) == 1)
        assert _replica_rows(platform_db, schema, "445302") == [("445302", "云城区", 1)]


def test_renamed_tenant_reaches_replicas_with_its_new_version(
    platform: RunningPlatform, platform_db: DatabaseUrls
) -> None:
    admin = platform.headers("440000", "platform_admin", user="admin")
    with platform.client("registry") as registry:
        r = registry.post(
            "/v1/tenants",
            headers=admin,
            json={"code": "445381", "name": "罗定县", "level": "county", "parent_code": "445300"},
        )
        assert r.status_code == 201, r.text
        r = registry.patch(
            "/v1/tenants/445381",
            headers={**admin, "If-Match": r.headers["ETag"]},
            json={"name": "罗定市"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["version"] == 2
        stale = registry.patch(
            "/v1/tenants/445381", headers={**admin, "If-Match": '"1"'}, json={"name": "x"}
        )
        assert stale.status_code == 412
        assert stale.headers["content-type"].startswith("application/problem+json")

    for schema in REPLICAS:
        eventually(
            lambda s=schema: _replica_rows(platform_db, s, "445381") == [("445381", "罗定市", 2)]
        )


def test_published_event_names_its_actor(platform: RunningPlatform, nats_url: str) -> None:
    """The stream is the audit trail: the tenant.created event says which admin did it."""

    async def last_created() -> tuple[dict[str, str], dict[str, object]]:
        nc = await nats.connect(nats_url)
        try:
            msg = await nc.jetstream().get_last_msg(
                "GOVPROJ", "govproj.445322.registry.tenant.created"
            )
            return dict(msg.headers or {}), json.loads(msg.data)
        finally:
            await nc.close()

    headers, data = asyncio.run(last_created())
    # Percent-encoded by the CloudEvents NATS binding (ADR 0004).
    actor = json.loads(unquote(headers["ce-actor"]))
    assert actor["id"] == "admin" and "platform_admin" in actor["roles"]
    assert headers["ce-type"] == "govproj.registry.tenant.created.v1"
    assert headers["ce-tenant"] == "445322" == data["code"]
    assert headers["Nats-Msg-Id"] == headers["ce-id"]
