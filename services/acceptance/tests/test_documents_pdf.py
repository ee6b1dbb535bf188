"""The 验收结论 and the self-evaluation cover as PDF (issue 18): what a reader downloads.

In-process (httpx.ASGITransport on the test's session); the PDFs are read back with pypdf.
"""

from __future__ import annotations

import io
import re

import pypdf
from sqlalchemy.ext.asyncio import AsyncSession

from services.acceptance.tests.support.api import Callers, client_for
from services.acceptance.tests.support.feed import document, laizhou_project, subject

YUNAN = "445322"


def _text(pdf: bytes) -> str:
    # pypdf may break CJK lines anywhere: compare without whitespace.
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


async def test_the_acceptance_record_and_self_evaluation_cover_download_as_pdf(
    db: AsyncSession,
) -> None:
    pid = await laizhou_project(db, amount=800_000)
    report = await document(db, pid, "acceptance_report")
    evaluation_report = await document(db, pid, "evaluation_report")
    evidence = {
        "security_assessment": await document(db, pid, "security_assessment_report"),
        "data_resource_catalog": await document(db, pid, "other"),
    }
    callers = Callers()
    unit = callers.headers(subject())
    sibling = callers.headers(subject("bureau_officer", tenant=YUNAN))
    url = f"/v1/projects/{pid}"
    async with client_for(db, callers) as client:
        for path, body in (
            (f"{url}/completion", {"completed_on": "2024-03-04"}),
            (f"{url}/review", {}),
            (f"{url}/review/decision", {"outcome": "pass", "opinion": "齐备"}),
            (
                f"{url}/acceptance",
                {
                    "outcome": "passed",
                    "held_on": "2024-06-01",
                    "conclusion": "系统功能满足建设要求，同意通过验收。",
                    "report_document_id": str(report),
                    "expert_opinions": [
                        {"name": "赵专家", "opinion": "文档齐全", "conclusion": "pass"}
                    ],
                },
            ),
            (f"{url}/operation", {"in_operation_on": "2024-07-01"}),
            (
                f"{url}/evaluations",
                {
                    "kind": "self_evaluation",
                    "report_document_id": str(evaluation_report),
                    "submitted_on": "2025-06-01",
                    "summary": "系统运行稳定，达到预期效果。",
                    "rating": "良好（86分）",
                },
            ),
        ):
            if path.endswith("/review/decision"):
                for item, doc in evidence.items():
                    put = await client.put(
                        f"{url}/review/items/{item}",
                        headers=unit,
                        json={"evidence_document_ids": [str(doc)]},
                    )
                    assert put.status_code == 200, put.text
            answer = await client.post(path, headers=unit, json=body)
            assert answer.status_code in (200, 201), (path, answer.text)
        record = (await client.get(f"{url}/acceptance", headers=unit)).json()
        (acceptance,) = record["acceptances"]
        (evaluation,) = record["evaluations"]
        acceptance_url = f"{url}/acceptances/{acceptance['id']}/pdf"
        cover_url = f"{url}/evaluations/{evaluation['id']}/pdf"
        acceptance_pdf = await client.get(acceptance_url, headers=unit)
        cover_pdf = await client.get(cover_url, headers=unit)
        theirs = [await client.get(u, headers=sibling) for u in (acceptance_url, cover_url)]
        unknown = await client.get(f"{url}/evaluations/{acceptance['id']}/pdf", headers=unit)

    assert acceptance_pdf.status_code == 200, acceptance_pdf.text
    assert acceptance_pdf.headers["content-type"] == "application/pdf"
    text = _text(acceptance_pdf.content)
    assert f"“{record['name']}”项目验收结论" in text
    assert "验收日期：2024年6月1日" in text
    assert "验收结论：验收通过。系统功能满足建设要求，同意通过验收。" in text
    assert "赵专家：文档齐全" in text
    assert "80万元" in text  # the amount in 万元, as people read it

    assert cover_pdf.status_code == 200, cover_pdf.text
    cover = _text(cover_pdf.content)
    assert f"“{record['name']}”项目应用效果自评价报告" in cover
    assert "报送日期：2025年6月1日" in cover
    assert "评价等级（得分）：良好（86分）" in cover
    for text_ in (text, cover):
        assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text_)
        assert "〔" not in text_  # no made-up 文号

    for answer in (*theirs, unknown):
        assert answer.status_code == 404, answer.text
        assert answer.json()["title"] == "资源不存在"
