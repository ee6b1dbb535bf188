"""One archive process over HTTP for the tests that need the real server (uploads,
limits, PDFs): the platform fixture, its county, and helpers to make projects and
forms. Shared by test_http_hostile.py and test_check_report_pdf.py.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from govproj.dev.demo import DEMO_TENANTS
from libs.common.testing.platform import RunningPlatform, run_platform
from libs.common.testing.pytest_plugin import DatabaseUrls

COUNTY = "445322"  # 郁南县
OTHER = "440804"  # 坡头区: another county of another city
MiB = 1024 * 1024
LIMIT = 2 * MiB  # COUNTY's upload limit in this module (GOVPROJ_ARCHIVE_UPLOAD_LIMITS)


@pytest.fixture(scope="module")
def archive(
    archive_db: DatabaseUrls, nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPlatform]:
    with psycopg.connect(archive_db.admin) as conn:
        for code, name, level, parent in DEMO_TENANTS:
            conn.execute(
                "INSERT INTO archive.tenants (code, name, level, parent_code, version, updated_at)"
                " VALUES (%s, %s, %s, %s, 1, now()) ON CONFLICT DO NOTHING",
                (code, name, level, parent),
            )
    saved = {
        k: os.environ.get(k)
        for k in ("GOVPROJ_ARCHIVE_UPLOAD_LIMITS", "GOVPROJ_ARCHIVE_UPLOAD_READ_TIMEOUT")
    }
    os.environ["GOVPROJ_ARCHIVE_UPLOAD_LIMITS"] = f"{COUNTY}={LIMIT}"
    os.environ["GOVPROJ_ARCHIVE_UPLOAD_READ_TIMEOUT"] = "20"
    try:
        with run_platform(
            tmp_path_factory.mktemp("archive-http"),
            app_url=archive_db.app,
            owner_url=archive_db.owner,
            relay_url=archive_db.relay,
            nats_url=nats_url,
            services=("archive",),
        ) as running:
            yield running
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def project(db: DatabaseUrls, tenant: str = COUNTY, unit: str | None = None) -> tuple[str, str]:
    """A project in the archive's replica (as the registry's events make it): (id, unit)."""
    project_id, unit_id = str(uuid.uuid4()), unit or str(uuid.uuid4())
    with psycopg.connect(db.admin) as conn:
        conn.execute(
            "INSERT INTO archive.projects (id, tenant_id, unit_id, name, state, version, updated_at)"
            " VALUES (%s, %s, %s, '测试项目', 'implementing', 1, now())",
            (project_id, tenant, unit_id),
        )
    return project_id, unit_id


def objects(db: DatabaseUrls, tenant: str = COUNTY) -> int:
    with psycopg.connect(db.admin) as conn:
        row = conn.execute(
            "SELECT count(*) FROM archive.stored_objects WHERE tenant_id = %s", (tenant,)
        ).fetchone()
    return int(row[0]) if row else 0


def stored_versions(running: RunningPlatform) -> list[Path]:
    """Every object version the archive's filesystem store holds (locked or not)."""
    return sorted((running.home / "objects").rglob("*.data"))


def form(
    name: str, data: bytes, content_type: str = "application/pdf", **meta: str
) -> dict[str, Any]:
    fields = {
        "title": "郁南县政务云扩容项目验收报告",
        "doc_type": "acceptance_report",
        "doc_date": "2026-11-01",
        "author_unit": "郁南县政务服务数据管理局",
        "security_level": "non_secret",
        "retention_period": "y10",
        **meta,
    }
    return {"data": fields, "files": {"file": (name, data, content_type)}}


# --- slow clients --------------------------------------------------------------------------
