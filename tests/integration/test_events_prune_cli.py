"""`govproj events prune` on the migrated schemas of every service, as an operator runs it."""

from __future__ import annotations

import json

import psycopg
import pytest
from typer.testing import CliRunner

from govproj.cli import app
from libs.common.db.migrations import upgrade
from libs.common.settings import SERVICES
from libs.common.testing.pytest_plugin import make_database


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def test_prune_command_deletes_old_sent_rows_of_each_service_and_keeps_unsent_ones(
    postgres_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = make_database(postgres_admin_url)
    for service in SERVICES:
        upgrade(service, db.owner)
    tenant = "445102"
    with psycopg.connect(_plain(db.owner)) as conn:
        conn.execute(
            "INSERT INTO registry.tenants (code, name, level, parent_code, updated_at) "
            "VALUES (%s, '湘桥区', 'county', NULL, now())",
            (tenant,),
        )
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        for sent_days_ago in (30, None, 1):  # old sent, unsent, recent sent
            conn.execute(
                "INSERT INTO registry.outbox (id, tenant_id, subject, type, headers, payload, "
                "created_at, sent_at) VALUES (gen_random_uuid(), %s, 's', 't', '{}', '{}', "
                "now() - interval '60 days', now() - make_interval(days => %s))",
                (tenant, sent_days_ago),
            )
    monkeypatch.setenv("GOVPROJ_MIGRATION_DATABASE_URL", db.owner)
    monkeypatch.setenv("GOVPROJ_OUTBOX_RETENTION_DAYS", "14")
    result = CliRunner().invoke(app, ["events", "prune"])
    assert result.exit_code == 0, result.output
    lines = {r["schema"]: r for r in map(json.loads, result.output.splitlines())}
    assert set(lines) == set(SERVICES)
    assert lines["registry"] == {
        "schema": "registry",
        "deleted": 1,
        "batches": 1,
        "unsent": 1,
        "kept_sent": 1,
    }
    with psycopg.connect(_plain(db.admin)) as conn:
        left = conn.execute(
            "SELECT sent_at IS NULL FROM registry.outbox ORDER BY sent_at NULLS FIRST"
        ).fetchall()
    assert [unsent for (unsent,) in left] == [True, False]
    # A service nobody knows is refused before anything runs.
    refused = CliRunner().invoke(app, ["events", "prune", "payroll"])
    assert refused.exit_code != 0 and "unknown services" in refused.output
