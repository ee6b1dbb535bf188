"""The archive over HTTP through the running platform: streamed upload, Range, isolation, acceptance."""

from __future__ import annotations

import hashlib
import os
import uuid

import httpx
import psycopg
import pytest

from libs.common.testing.platform import RunningPlatform, eventually
from libs.common.testing.pytest_plugin import DatabaseUrls
from services.archive.tests import samples

COUNTY = "445322"  # 郁南县
SIBLING = "440804"  # 坡头区: another county, another city


def _form(
    name: str, data: bytes, **metadata: str
) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
    fields = {
        "title": "郁南县政务云扩容项目验收报告",
        "doc_type": "acceptance_report",
        "doc_number": "郁政数〔2026〕12号",
        "doc_date": "2026-11-01",
        "author_unit": "郁南县政务服务数据管理局",
        "security_level": "non_secret",
        "retention_period": "y30",
        **metadata,
    }
    return fields, {"file": (name, data, "application/pdf")}


@pytest.fixture(scope="module")
def unit_id(platform: RunningPlatform) -> str:
    """A 建设单位 of the county (unit officers' tokens name their unit: ADR 0008)."""
    with platform.client("registry") as registry:
        r = registry.post(
            "/v1/units",
            headers=platform.headers(COUNTY, "bureau_officer"),
            json={"name": "档案测试单位"},
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


def registry_project(platform: RunningPlatform, db: DatabaseUrls, unit: str) -> str:
    """A project created in the registry, once the archive's replica has it (through NATS)."""
    body = {
        "name": "郁南县档案测试项目",
        "unit_id": unit,
        "year": 2027,
        "facts": {
            "project_class": "professional",
            "service_types": ["software_development"],
            "amount": 300_000,
        },
    }
    with platform.client("registry") as registry:
        r = registry.post(
            "/v1/projects", headers=platform.headers(COUNTY, "bureau_officer"), json=body
        )
        assert r.status_code == 201, r.text
    project_id = str(r.json()["id"])

    def replicated() -> bool:
        with psycopg.connect(db.admin) as conn:
            return (
                conn.execute(
                    "SELECT 1 FROM archive.projects WHERE id = %s", (project_id,)
                ).fetchone()
                is not None
            )

    eventually(replicated, timeout=30)
    return project_id


def test_streamed_upload_round_trips_with_range(
    platform: RunningPlatform, archive: httpx.Client, unit_id: str
) -> None:
    client = archive
    headers = platform.headers(COUNTY, "unit_officer", unit=unit_id)
    data = os.urandom(5 * 1024 * 1024 + 1)
    fields, files = _form("郁南县政务云项目验收报告（终稿）.pdf", data)
    r = client.post("/v1/documents", headers=headers, data=fields, files=files)
    assert r.status_code == 201, r.text
    doc = r.json()
    version = doc["current_version"]
    assert version["size"] == len(data)
    assert version["sha256"] == hashlib.sha256(data).hexdigest()
    assert version["sm3"] == hashlib.new("sm3", data).hexdigest()
    assert version["filename"] == "郁南县政务云项目验收报告（终稿）.pdf"
    assert version["retention_mode"] == "COMPLIANCE"

    full = client.get(f"/v1/documents/{doc['id']}/content", headers=headers)
    assert full.status_code == 200 and full.content == data
    assert "filename*=UTF-8''" in full.headers["content-disposition"]
    part = client.get(
        f"/v1/documents/{doc['id']}/versions/{version['version_id']}/content",
        headers={**headers, "Range": "bytes=5242870-"},
    )
    assert part.status_code == 206
    assert part.content == data[5242870:]
    assert part.headers["content-range"] == f"bytes 5242870-{len(data) - 1}/{len(data)}"
    beyond = client.get(
        f"/v1/documents/{doc['id']}/content", headers={**headers, "Range": f"bytes={len(data)}-"}
    )
    assert beyond.status_code == 416
    assert beyond.headers["content-type"].startswith("application/problem+json")


def test_bad_uploads_store_nothing_and_answer_4xx(
    platform: RunningPlatform, archive: httpx.Client, unit_id: str
) -> None:
    client = archive
    headers = platform.headers(COUNTY, "unit_officer", unit=unit_id)
    fields, files = _form("x.pdf", b"%PDF", doc_type="not_a_type")
    r = client.post("/v1/documents", headers=headers, data=fields, files=files)
    assert r.status_code == 422 and "doc_type" in r.json()["detail"]
    r = client.post("/v1/documents", headers=headers, json={"title": "x"})
    assert r.status_code == 415
    r = client.post("/v1/documents", headers=headers, data=_form("x", b"")[0], files=None)
    assert r.status_code in (415, 422)


def test_a_county_cannot_list_read_or_delete_another_countys_documents(
    platform: RunningPlatform, archive: httpx.Client, unit_id: str
) -> None:
    client = archive
    mine = platform.headers(COUNTY, "unit_officer", unit=unit_id)
    theirs = platform.headers(SIBLING, "bureau_officer")
    fields, files = _form("canary.pdf", b"%PDF-1.4 canary")
    doc = client.post("/v1/documents", headers=mine, data=fields, files=files).json()
    listed = client.get("/v1/documents", headers=theirs, params={"limit": 500}).json()
    assert doc["id"] not in {d["id"] for d in listed}
    for path in (
        f"/v1/documents/{doc['id']}",
        f"/v1/documents/{doc['id']}/content",
        f"/v1/documents/{doc['id']}/versions",
    ):
        assert client.get(path, headers=theirs).status_code == 404, path
    assert client.delete(f"/v1/documents/{doc['id']}", headers=theirs).status_code == 404
    # Still there for its owner, and locked: even its own bureau cannot delete it.
    own_bureau = platform.headers(COUNTY, "bureau_officer")
    assert client.get(f"/v1/documents/{doc['id']}", headers=mine).status_code == 200
    refused = client.delete(f"/v1/documents/{doc['id']}", headers=own_bureau)
    assert refused.status_code == 409 and refused.json()["code"] == "document_retained"


def test_package_checks_and_acceptance_over_http(
    platform: RunningPlatform, archive: httpx.Client, platform_db: DatabaseUrls, unit_id: str
) -> None:
    client = archive
    unit = platform.headers(COUNTY, "unit_officer", unit=unit_id)
    bureau = platform.headers(COUNTY, "bureau_officer")
    # Issue 16: the archive files nothing under a project id the registry never made.
    made_up = str(uuid.uuid4())
    fields, files = _form("验收报告.pdf", samples.pdf(), project_id=made_up)
    assert client.post("/v1/documents", headers=unit, data=fields, files=files).status_code == 404
    project = registry_project(platform, platform_db, unit_id)
    for name, data in (("验收报告.pdf", samples.pdf()), ("合同.ofd", samples.ofd())):
        fields, files = _form(name, data, project_id=project, step_id="acceptance")
        assert (
            client.post("/v1/documents", headers=unit, data=fields, files=files).status_code == 201
        )
    listed = client.get("/v1/documents", headers=unit, params={"project_id": project}).json()
    assert len(listed) == 2
    r = client.post(f"/v1/projects/{project}/packages", headers=unit, json={})
    assert r.status_code == 201, r.text
    package = r.json()
    assert package["item_count"] == 2
    verified = client.post(f"/v1/packages/{package['id']}/verification", headers=unit).json()
    assert verified["valid"], verified
    r = client.post(
        f"/v1/projects/{project}/archive-acceptance",
        headers=bureau,
        json={"package_id": package["id"]},
    )
    assert r.status_code == 201, r.text
    decision = r.json()
    # The platform runs no virus scanner: that item is not run, so acceptance cannot pass.
    assert decision["outcome"] == "failed"
    assert [x["item"] for x in decision["reasons"]] == ["SECU-01"]
    page = client.get(f"/v1/check-reports/{decision['report_id']}/print", headers=unit)
    assert page.status_code == 200 and "四性" in page.text
    # Every report and decision stays readable after the fact, newest first.
    client.post(f"/v1/packages/{package['id']}/checks", headers=unit, json={"stage": "archiving"})
    reports = client.get(f"/v1/projects/{project}/check-reports", headers=unit).json()
    assert [r["stage"] for r in reports] == ["archiving", "transfer"]
    assert reports[1]["id"] == decision["report_id"] and reports[1]["virus_database"] is None
    decisions = client.get(f"/v1/projects/{project}/archive-acceptances", headers=unit).json()
    assert [(d["id"], d["outcome"]) for d in decisions] == [(decision["id"], "failed")]
    sibling = platform.headers(SIBLING, "bureau_officer")
    assert client.get(f"/v1/projects/{project}/check-reports", headers=sibling).json() == []
    # 档案验收 and 人工确认 are the bureau's (bureau.decide); refusals are problem+json in Chinese.
    refused = client.post(
        f"/v1/projects/{project}/archive-acceptance",
        headers=unit,
        json={"package_id": package["id"]},
    )
    assert refused.status_code == 403 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    manual = f"/v1/check-reports/{decision['report_id']}/items"
    body = {"outcome": "pass", "note": "已核验运行环境"}
    assert client.post(f"{manual}/USAB-04/manual", headers=unit, json=body).status_code == 403
    automatic = client.post(f"{manual}/SECU-01/manual", headers=bureau, json=body)
    assert automatic.status_code == 409 and automatic.json()["title"] == "自动检测项不能人工改判"
    short = client.post(f"{manual}/USAB-04/manual", headers=bureau, json={**body, "note": "好"})
    assert short.status_code == 422
    recorded = client.post(f"{manual}/USAB-04/manual", headers=bureau, json=body)
    assert recorded.status_code == 200, recorded.text
    assert (
        client.get(f"/v1/projects/{project}/check-reports", headers=unit).json()[1]["summary"][
            "manual_pending"
        ]
        == reports[1]["summary"]["manual_pending"] - 1
    )
    with psycopg.connect(platform_db.admin) as conn:
        types = [
            row[0]
            for row in conn.execute(
                "SELECT type FROM archive.outbox WHERE payload->>'project_id' = %s", (project,)
            )
        ]
    assert "govproj.archive.acceptance.failed.v1" in types
    audit = client.post("/v1/fixity/audits", headers=bureau, json={"batch_size": 50})
    assert audit.status_code == 201 and audit.json()["verified"] >= 1
