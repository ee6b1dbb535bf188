"""The tenant tree is the registry's; every other service learns it through NATS."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import unquote

import httpx
import nats
import psycopg

from libs.common.db.bootstrap import psycopg_url
from libs.common.events import make_event, system_actor, to_nats
from libs.common.testing.platform import RunningPlatform, eventually
from libs.common.testing.pytest_plugin import DatabaseUrls

REPLICAS = ("approval", "budget", "acceptance", "archive")


def _replica_rows(db: DatabaseUrls, schema: str, code: str) -> list[tuple[str, str, int]]:
    with psycopg.connect(psycopg_url(db.owner)) as conn:
        return conn.execute(
            f'SELECT code, name, version FROM "{schema}".tenants WHERE code = %s',
            (code,),
        ).fetchall()


def _admin(platform: RunningPlatform) -> dict[str, str]:
    """The platform administrator: the only one who manages the tenant tree."""
    return platform.headers("440000", "platform_admin", user="admin")


def _add_county(registry: httpx.Client, admin: dict[str, str], code: str, name: str) -> str:
    """Register a county of 云浮市 (445300) in the registry; the new tenant's ETag."""
    r = registry.post(
        "/v1/tenants",
        headers=admin,
        json={"code": code, "name": name, "level": "county", "parent_code": "445300"},
    )
    assert r.status_code == 201, r.text
    etag: str = r.headers["ETag"]
    return etag


def test_new_tenant_appears_exactly_once_in_every_replica(
    platform: RunningPlatform, platform_db: DatabaseUrls
) -> None:
    with platform.client("registry") as registry:
        _add_county(registry, _admin(platform), "445302", "云城区")

    for schema in REPLICAS:
        eventually(lambda s=schema: len(_replica_rows(platform_db, s, "445302")) == 1)
        assert _replica_rows(platform_db, schema, "445302") == [("445302", "云城区", 1)]


def test_renamed_tenant_reaches_replicas_with_its_new_version(
    platform: RunningPlatform, platform_db: DatabaseUrls
) -> None:
    admin = _admin(platform)
    with platform.client("registry") as registry:
        etag = _add_county(registry, admin, "445381", "罗定县")
        r = registry.patch(
            "/v1/tenants/445381",
            headers={**admin, "If-Match": etag},
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


def _dead_letter_reasons(db: DatabaseUrls, schema: str, event_id: str) -> list[str]:
    with psycopg.connect(psycopg_url(db.owner)) as conn:
        rows = conn.execute(
            f"SELECT reason FROM \"{schema}\".dead_letter WHERE headers->>'ce-id' = %s",
            (event_id,),
        ).fetchall()
    return [r[0] for r in rows]


def test_a_forged_tenant_event_moves_no_county_anywhere(
    platform: RunningPlatform, platform_db: DatabaseUrls, nats_url: str
) -> None:
    """Regression (issue 16 item 8): this event moved 潮安 under 湘桥 in the registry's book,
    and 湘桥's overseer then read 潮安's projects."""
    chaoan, xiangqiao = "445103", "445102"
    with platform.client("registry") as registry:
        unit = registry.post(
            "/v1/units",
            headers=platform.headers(chaoan, "bureau_officer"),
            json={"name": "伪造事件测试单位"},
        ).json()["id"]
        project = registry.post(
            "/v1/projects",
            headers=platform.headers(chaoan, "bureau_officer"),
            json={
                "name": "潮安区不可越界项目",
                "unit_id": unit,
                "year": 2027,
                "facts": {
                    "project_class": "professional",
                    "service_types": ["software_development"],
                    "amount": 300_000,
                },
            },
        )
        assert project.status_code == 201, project.text
        version = registry.get(
            f"/v1/tenants/{chaoan}", headers=platform.headers(chaoan, "auditor")
        ).json()["version"]

    forged = make_event(
        tenant=chaoan,
        service="registry",
        aggregate="tenant",
        event="updated",
        data={
            "tenant": chaoan,
            "code": chaoan,
            "name": "潮安区",
            "level": "county",
            "parent_code": xiangqiao,
            "version": version + 1,
            "updated_at": "2026-12-04T00:00:00+00:00",
        },
        actor=system_actor("forger", chaoan),
    )

    async def publish() -> None:
        nc = await nats.connect(nats_url)
        try:
            subject, headers, payload = to_nats(forged)
            await nc.jetstream().publish(subject, payload, headers=headers)
        finally:
            await nc.close()

    asyncio.run(publish())
    for schema in ("registry", *REPLICAS):
        eventually(lambda s=schema: bool(_dead_letter_reasons(platform_db, s, forged.id)))
    (registry_reason,) = _dead_letter_reasons(platform_db, "registry", forged.id)
    assert "未发布" in registry_reason
    for schema in REPLICAS:
        (reason,) = _dead_letter_reasons(platform_db, schema, forged.id)
        assert "parent_code" in reason, (schema, reason)
    with psycopg.connect(psycopg_url(platform_db.owner)) as conn:
        for schema in ("registry", *REPLICAS):
            parent = conn.execute(
                f'SELECT parent_code FROM "{schema}".tenants WHERE code = %s', (chaoan,)
            ).fetchone()
            assert parent == ("445100",), schema
    with platform.client("registry") as registry:
        r = registry.get(
            f"/v1/projects/{project.json()['id']}", headers=platform.headers(xiangqiao, "overseer")
        )
        assert r.status_code == 404
