"""Issue 18: the 立项批复 is a GB/T 9704 公文, typeset as PDF and filed in the project's archive.

On the running platform: the bureau's last approval makes the approval service
compose the document; the archive renders it, files it under the project (SM3,
SHA-256, permanent retention) once, even when the event is delivered twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from libs.common.testing.platform import RunningPlatform, eventually
from tests.integration.workflow_support import (
    planned_project,
    redeliver,
    run_to_end,
    submit,
    workflow_of,
)
from tests.support.registry import CHAOZHOU, YUNAN


@pytest.fixture(scope="module")
def clients(platform: RunningPlatform) -> Any:
    with (
        platform.client("registry") as registry,
        platform.client("approval") as approval,
        platform.client("archive") as archive,
    ):
        yield registry, approval, archive


def _approval_documents(
    platform: RunningPlatform, archive: httpx.Client, pid: str, tenant: str = YUNAN
) -> list[dict[str, Any]]:
    r = archive.get(
        "/v1/documents",
        params={"project_id": pid},
        headers=platform.headers(tenant, "bureau_officer"),
    )
    assert r.status_code == 200, r.text
    return [d for d in r.json() if d["doc_type"] == "approval_document"]


def test_yunan_approval_is_filed_as_a_pdf_with_its_number_amount_and_article_once(
    platform: RunningPlatform, clients: tuple[httpx.Client, httpx.Client, httpx.Client]
) -> None:
    registry, approval, archive = clients
    unit, pid = planned_project(platform, registry, YUNAN, amount=800_000)
    project = registry.get(f"/v1/projects/{pid}", headers=platform.headers(YUNAN, "auditor"))
    unit_name = registry.get(
        f"/v1/units/{unit}", headers=platform.headers(YUNAN, "bureau_officer")
    ).json()["name"]
    submit(platform, registry, YUNAN, pid)
    wf = run_to_end(platform, approval, YUNAN, workflow_of(platform, approval, YUNAN, pid))
    number = wf["approval"]["number"]
    assert number.startswith("郁政数立〔")

    # The console's print view reads the same content the archive typesets.
    official = approval.get(
        f"/v1/projects/{pid}/approval/official", headers=platform.headers(YUNAN, "auditor")
    )
    assert official.status_code == 200, official.text
    content = official.json()
    assert content["number"] == number and content["recipients"] == [unit_name]
    assert content["mark"] == "郁南县政务和数据局文件"

    eventually(lambda: len(_approval_documents(platform, archive, pid)) == 1, timeout=90)
    (filed,) = _approval_documents(platform, archive, pid)
    assert filed["doc_number"] == number and filed["retention_period"] == "permanent"
    version = filed["current_version"]
    assert version["content_type"] == "application/pdf"
    assert version["retention_mode"] == "COMPLIANCE"

    pdf = archive.get(
        f"/v1/documents/{filed['id']}/content", headers=platform.headers(YUNAN, "auditor")
    )
    assert pdf.status_code == 200
    assert hashlib.sha256(pdf.content).hexdigest() == version["sha256"]
    assert hashlib.new("sm3", pdf.content).hexdigest() == version["sm3"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = text.replace("\n", "")
    assert number in flat
    assert project.json()["name"] in flat
    assert "80万元（800,000元）" in flat  # finance approved what was asked
    assert "第十条" in flat  # 郁南 第十条: 50万元以上（含）须报县政务和数据局立项
    assert unit_name in flat

    # A redelivered project.approved (new event id) files nothing more.
    asyncio.run(
        redeliver(
            platform.env["GOVPROJ_NATS_URL"], f"govproj.{YUNAN}.approval.project.approved", pid
        )
    )
    # The archive consumes a tenant's events in order: once a later project's
    # approval is filed, the redelivered event has been handled (and its round run).
    _, later = planned_project(platform, registry, YUNAN, amount=800_000)
    submit(platform, registry, YUNAN, later)
    run_to_end(platform, approval, YUNAN, workflow_of(platform, approval, YUNAN, later))
    eventually(lambda: len(_approval_documents(platform, archive, later)) == 1, timeout=90)
    assert [d["id"] for d in _approval_documents(platform, archive, pid)] == [filed["id"]]


def test_chaozhou_filing_is_filed_as_a_confirmation_letter_of_the_city_bureau(
    platform: RunningPlatform, clients: tuple[httpx.Client, httpx.Client, httpx.Client]
) -> None:
    registry, approval, archive = clients
    _, pid = planned_project(platform, registry, CHAOZHOU)
    submit(platform, registry, CHAOZHOU, pid)
    wf = run_to_end(platform, approval, CHAOZHOU, workflow_of(platform, approval, CHAOZHOU, pid))
    assert wf["state"] == "filed"
    content = approval.get(
        f"/v1/projects/{pid}/approval/official", headers=platform.headers(CHAOZHOU, "auditor")
    ).json()
    # 潮州 第十二条: filed with the city's bureau; the letter says 备案, never 立项.
    assert content["number"].startswith("潮政数备〔")
    assert content["issuer"] == "潮州市政务服务数据管理局"
    assert content["title"].endswith("备案的确认函")
    assert not any("同意" in p and "立项" in p for p in content["paragraphs"])
    eventually(lambda: len(_approval_documents(platform, archive, pid, CHAOZHOU)) == 1, timeout=90)
    (filed,) = _approval_documents(platform, archive, pid, CHAOZHOU)
    assert filed["doc_number"] == content["number"]
    assert filed["author_unit"] == "潮州市政务服务数据管理局"
    # Another jurisdiction reads neither the content nor the filed copy.
    potou = platform.headers("440804", "bureau_officer")
    assert approval.get(f"/v1/projects/{pid}/approval/official", headers=potou).status_code == 404
    assert archive.get(f"/v1/documents/{filed['id']}", headers=potou).status_code == 404
