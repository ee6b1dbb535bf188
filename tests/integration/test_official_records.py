"""Issue 18: the 验收结论, the self-evaluation report's cover and the 四性检测 report are
filed in the project's archive by themselves, as the 立项批复 is.

A 郁南县 project goes through review, acceptance, operation and self-evaluation on
the running platform, and the bureau runs its 档案验收; each record is then found
among the project's documents as a PDF (SM3, SHA-256, permanent retention) that
opens and names the project, and each is filed once.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import httpx
from pypdf import PdfReader

from libs.common.deadlines import today_in_china
from libs.common.testing.platform import RunningPlatform, eventually
from libs.vocab import label
from tests.integration.acceptance_support import (
    YEAR,
    acceptance_body,
    archive_acceptance,
    build,
    complete,
    has_doc,
    operate_and_evaluate,
    planned_project,
    prove,
    run_workflow,
    submit,
    unit_headers,
    upload,
)
from tests.support.portal import console_as
from tests.support.registry import wait_state

YUNAN = "445322"
#: 文件类型 of each filed record, and a phrase its PDF must carry.
RECORDS = {
    "acceptance_report": "项目验收结论",
    "evaluation_report": "应用效果自评价报告",
    "check_report": "电子档案四性检测报告",
}


def _evaluated_project(platform: RunningPlatform, c: dict[str, httpx.Client]) -> str:
    """A project reviewed, accepted, in operation and self-evaluated, by the unit and bureau."""
    registry, acceptance, archive = c["registry"], c["acceptance"], c["archive"]
    # A plan year of its own: test_acceptance_flow consolidates Yunan's acceptance_support.YEAR.
    pid = planned_project(platform, registry, YUNAN, year=YEAR + 1)
    submit(platform, registry, YUNAN, pid)
    run_workflow(platform, c["approval"], YUNAN, pid)
    wait_state(platform, registry, YUNAN, pid, "approved")
    today = today_in_china()
    build(platform, c["budget"], archive, YUNAN, pid, started_on=today, signed_on=today)
    wait_state(platform, registry, YUNAN, pid, "implementing")
    complete(platform, acceptance, YUNAN, pid, today)
    unit = unit_headers(platform, YUNAN, pid)
    r = acceptance.post(f"/v1/projects/{pid}/review", headers=unit, json={})
    assert r.status_code == 200, r.text
    for item in r.json()["checklist"]:
        if item["mandatory"]:
            prove(platform, c, YUNAN, pid, item["code"], (item["doc_types"] or ["other"])[0])
    r = acceptance.post(
        f"/v1/projects/{pid}/review/decision",
        headers=platform.headers(YUNAN, "bureau_officer"),
        json={"outcome": "pass", "opinion": "符合建设标准"},
    )
    assert r.status_code == 200, r.text
    report = upload(platform, archive, YUNAN, pid, "acceptance_report", "郁南验收报告")
    has_doc(platform, acceptance, YUNAN, pid, report)
    r = acceptance.post(
        f"/v1/projects/{pid}/acceptance", headers=unit, json=acceptance_body(report, today)
    )
    assert r.status_code == 200, r.text
    operate_and_evaluate(platform, c, YUNAN, pid, today, rating="优（92分）")
    return pid


def _filed(
    platform: RunningPlatform, archive: httpx.Client, pid: str
) -> dict[str, list[dict[str, Any]]]:
    """The project's documents the archive filed by itself (PDFs of no uploader), by type."""
    r = archive.get(
        "/v1/documents",
        params={"project_id": pid},
        headers=platform.headers(YUNAN, "bureau_officer"),
    )
    assert r.status_code == 200, r.text
    found: dict[str, list[dict[str, Any]]] = {}
    for d in r.json():
        if d["doc_type"] in RECORDS and d["title"].startswith("“"):
            found.setdefault(d["doc_type"], []).append(d)
    return found


def test_acceptance_record_evaluation_cover_and_check_report_are_filed_as_pdfs_once(
    platform: RunningPlatform, clients: dict[str, httpx.Client]
) -> None:
    pid = _evaluated_project(platform, clients)
    # 四性检测 reads every file of the package: slow on a loaded machine (15 s by default).
    archive = httpx.Client(base_url=platform.urls["archive"], timeout=180)
    name = (
        clients["registry"]
        .get(f"/v1/projects/{pid}", headers=platform.headers(YUNAN, "auditor"))
        .json()["name"]
    )
    # The platform runs no virus scanner: this 档案验收 fails, and its report is a record too.
    decided = archive_acceptance(platform, archive, YUNAN, pid)
    eventually(lambda: set(_filed(platform, archive, pid)) == set(RECORDS), timeout=120)
    filed = _filed(platform, archive, pid)
    assert {t: len(docs) for t, docs in filed.items()} == dict.fromkeys(RECORDS, 1)
    auditor = platform.headers(YUNAN, "auditor")
    for doc_type, phrase in RECORDS.items():
        (doc,) = filed[doc_type]
        assert doc["retention_period"] == "permanent" and not doc["doc_number"]
        version = doc["current_version"]
        assert version["content_type"] == "application/pdf"
        assert version["retention_mode"] == "COMPLIANCE"
        pdf = archive.get(f"/v1/documents/{doc['id']}/content", headers=auditor)
        assert pdf.status_code == 200
        assert hashlib.sha256(pdf.content).hexdigest() == version["sha256"]
        assert hashlib.new("sm3", pdf.content).hexdigest() == version["sm3"]
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        flat = text.replace("\n", "").replace(" ", "")
        assert name in flat and phrase in flat, (doc_type, flat[:300])
        if doc_type == "acceptance_report":
            assert "80万元（800,000元）" in flat and "同意通过验收" in flat
        if doc_type == "evaluation_report":
            assert "优（92分）" in flat
        if doc_type == "check_report":
            assert decided["outcome"] == "failed" and "不通过" in flat
    # A second 档案验收 files its own report; the acceptance and the cover stay one each.
    archive_acceptance(platform, archive, YUNAN, pid)
    eventually(lambda: len(_filed(platform, archive, pid)["check_report"]) == 2, timeout=120)
    again = _filed(platform, archive, pid)
    assert len(again["acceptance_report"]) == len(again["evaluation_report"]) == 1
    archive.close()

    # The project's 档案 tab lists each filed record with a link to its archived PDF.
    with console_as(platform, YUNAN, "auditor", name="郁南审计员") as console:
        page = console.get(f"/projects/{pid}/official-documents")
        decisions = console.get(f"/projects/{pid}/archive-acceptance")
    # The 档案验收 page shows both decisions (its calls now run concurrently).
    assert decisions.status_code == 200, decisions.text
    assert "最近一次档案验收" in decisions.text
    assert decisions.text.count(label("archive_acceptance_outcome", "failed")) >= 3
    assert page.status_code == 200, page.text
    for doc_type, docs in again.items():
        assert label("document_type", doc_type) in page.text
        for doc in docs:
            assert f'href="/documents/{doc["id"]}/content">{doc["title"]}</a>' in page.text
    assert page.text.count("已归档（保管期限：永久）") == 5  # 批复, 结论, 封面, two reports
