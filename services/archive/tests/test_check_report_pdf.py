"""The 四性检测 report as PDF (issue 18): what a reader downloads, and who may.

One archive process over HTTP (the fixture of :mod:`http_platform`), a
project with one file packaged and checked; the PDF is read back with pypdf.
"""

from __future__ import annotations

import io
import re

import pypdf

from libs.common.testing.platform import RunningPlatform
from libs.common.testing.pytest_plugin import DatabaseUrls
from services.archive.tests import samples
from services.archive.tests.http_platform import COUNTY, OTHER, archive, form, project

__all__ = ["archive"]  # the module-scoped archive this module's tests share


def _text(pdf: bytes) -> str:
    # pypdf may break CJK lines anywhere: compare without whitespace.
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_the_check_report_downloads_as_pdf_with_its_verdict_and_counts(
    archive: RunningPlatform, archive_db: DatabaseUrls
) -> None:
    project_id, _ = project(archive_db)
    bureau = archive.headers(COUNTY, "bureau_officer", name="林晓梅")
    with archive.client("archive") as client:
        r = client.post(
            "/v1/documents",
            headers=bureau,
            **form("报告.pdf", samples.pdf(), project_id=project_id),
        )
        assert r.status_code == 201, r.text
        package = client.post(f"/v1/projects/{project_id}/packages", headers=bureau, json={})
        assert package.status_code == 201, package.text
        checked = client.post(
            f"/v1/packages/{package.json()['id']}/checks", headers=bureau, json={}
        )
        assert checked.status_code == 201, checked.text
        report = checked.json()
        pdf = client.get(f"/v1/check-reports/{report['id']}/pdf", headers=bureau)
        theirs = client.get(
            f"/v1/check-reports/{report['id']}/pdf",
            headers=archive.headers(OTHER, "bureau_officer"),
        )

    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = _text(pdf.content)
    s = report["summary"]
    verdict = "符合档案验收条件" if report["acceptable"] else "不符合档案验收条件"
    counts = f"通过{s['pass']}项，不通过{s['fail']}项，未检测{len(s['not_run'])}项"
    assert "电子档案四性检测报告" in text
    assert "“测试项目”电子档案四性检测报告" in text
    assert f"结论：{verdict}" in text and counts in text
    assert "郁南县电子档案系统" in text  # signed by the jurisdiction's archive, no made-up 文号
    assert "〔" not in text
    assert "《郁南县政务云扩容项目验收报告》" in text  # files by 题名, not by id
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text)
    # 检测人 is the person who ran the check, never their login id.
    assert "检测人：林晓梅" in text and "bureau_officer@" not in text
    assert report["created_by_name"] == "林晓梅"

    assert theirs.status_code == 404, theirs.text
    assert theirs.json()["title"] == "资源不存在"
