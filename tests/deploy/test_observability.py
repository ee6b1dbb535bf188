"""deploy/otel: the collector's pipelines are wired, and its SQL runs on the real schema."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import yaml

from libs.common.db.migrations import upgrade
from libs.common.settings import SERVICES
from libs.common.testing.pytest_plugin import make_database

ROOT = Path(__file__).resolve().parents[2]
COLLECTOR = ROOT / "deploy" / "otel" / "collector.yaml"
MONITOR_SQL = ROOT / "deploy" / "otel" / "monitor.sql"
SIGNALS = {
    "govproj.events.outbox.oldest_unsent_age",
    "govproj.events.dead_letters",
    "govproj.deadlines.overdue",
    "govproj.archive.fixity_failures",
}


def _config() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COLLECTOR.read_text(encoding="utf-8"))
    return data


def test_every_pipeline_uses_defined_components() -> None:
    config = _config()
    for name, pipeline in config["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline[kind]:
                assert component in config[kind], (name, component)
        assert pipeline["processors"][0] == "memory_limiter", name
        assert pipeline["processors"][-1] == "batch", name
    assert set(config["service"]["extensions"]) <= set(config["extensions"])


def test_the_documented_metrics_are_collected() -> None:
    queries = _config()["receivers"]["sqlquery/govproj"]["queries"]
    names = {m["metric_name"] for q in queries for m in q["metrics"]}
    assert names >= SIGNALS
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for name in SIGNALS:
        assert name in operations, name


def test_monitor_queries_run_as_the_monitor_role(postgres_admin_url: str) -> None:
    urls = make_database(postgres_admin_url)
    for service in SERVICES:
        upgrade(service, urls.owner)
    with psycopg.connect(urls.admin, autocommit=True) as admin:
        admin.execute(MONITOR_SQL.read_text(encoding="utf-8"))
        admin.execute("ALTER ROLE govproj_monitor PASSWORD 'monitor-pw'")
        # A dead letter and an unsent outbox row of another tenant: the monitor
        # counts them although it has no tenant context (RLS is forced).
        admin.execute(
            "INSERT INTO budget.dead_letter (id, consumer, subject, payload, reason)"
            " VALUES (%s, 'budget', 'govproj.x', '\\x00', 'malformed')",
            (uuid.uuid4(),),
        )
        admin.execute("SET ROLE govproj_owner")
        admin.execute("SELECT set_config('app.tenant_id', '445322', false)")
        admin.execute("SELECT set_config('app.visible_tenants', '445322', false)")
        admin.execute(
            "INSERT INTO registry.outbox (id, tenant_id, subject, type, headers, payload, created_at)"
            " VALUES (%s, '445322', 'govproj.445322.registry.t.x', 't', '{}', '{}', now() - interval '90 seconds')",
            (uuid.uuid4(),),
        )
        admin.execute("RESET ROLE")
    parts = urlsplit(urls.admin)
    host = parts.netloc.rsplit("@", 1)[-1]
    monitor_url = urlunsplit(parts._replace(netloc=f"govproj_monitor:monitor-pw@{host}"))
    results: dict[str, list[tuple[Any, ...]]] = {}
    with psycopg.connect(monitor_url) as monitor:
        for query in _config()["receivers"]["sqlquery/govproj"]["queries"]:
            rows = monitor.execute(query["sql"]).fetchall()
            results[query["metrics"][0]["metric_name"]] = rows
        # Counts and ages only: the payloads stay out of reach.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            monitor.execute("SELECT payload FROM budget.dead_letter")
    ages = {row[0]: row[1] for row in results["govproj.events.outbox.oldest_unsent_age"]}
    assert set(ages) == set(SERVICES)
    assert float(ages["registry"]) >= 90
    assert results["govproj.events.dead_letters"] == [("budget", "budget", 1)]
    assert results["govproj.deadlines.overdue"] == []
