"""Issue 18 in the console: the 立项批复 as a printable 公文 and its archived PDF; every
list's “导出 Excel” holds the rows the page shows, with the page's filters applied.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from libs.common.testing.platform import RunningPlatform, eventually
from libs.vocab import format_amount
from tests.browser.support import login, look, open_tab
from tests.integration.workflow_support import planned_project, run_to_end, submit, workflow_of
from tests.support.registry import create_project, new_unit

YUNAN, YUNFU = "445322", "445300"


@pytest.fixture(scope="module")
def clients(browser_platform: RunningPlatform) -> Any:
    with (
        browser_platform.client("registry") as registry,
        browser_platform.client("approval") as approval,
        browser_platform.client("archive") as archive,
    ):
        yield registry, approval, archive


@pytest.fixture(scope="module")
def approved(
    browser_platform: RunningPlatform, clients: tuple[httpx.Client, httpx.Client, httpx.Client]
) -> dict[str, Any]:
    """A Yunan project of 80万元 approved through the whole workflow, its PDF filed."""
    registry, approval, archive = clients
    _, pid = planned_project(browser_platform, registry, YUNAN, amount=800_000)
    submit(browser_platform, registry, YUNAN, pid)
    wf = workflow_of(browser_platform, approval, YUNAN, pid)
    wf = run_to_end(browser_platform, approval, YUNAN, wf)
    headers = browser_platform.headers(YUNAN, "auditor")

    def filed() -> list[dict[str, Any]]:
        docs = archive.get("/v1/documents", params={"project_id": pid}, headers=headers).json()
        return [d for d in docs if d["doc_type"] == "approval_document"]

    eventually(lambda: len(filed()) == 1, timeout=90)
    project = registry.get(f"/v1/projects/{pid}", headers=headers).json()
    return {
        "id": pid,
        "name": project["name"],
        "year": project["year"],
        "number": wf["approval"]["number"],
        "filed": filed()[0],
    }


def _table(table: Any) -> list[list[str]]:
    """The rows of a page's table as a person reads them, cell by cell."""
    rows = table.locator("tbody tr")
    return [
        [c.strip() for c in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def _download(page: Any, link_text: str, suffix: str = ".xlsx") -> Path:
    """Click the link and take what the browser saves; its name ends in ``suffix``."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link_text, exact=True).click()
    assert info.value.suggested_filename.endswith(suffix), info.value.suggested_filename
    return Path(info.value.path())


def _sheet(path: Path, title: str | None = None) -> tuple[list[Any], list[list[Any]]]:
    book = load_workbook(io.BytesIO(path.read_bytes()))
    sheet = book[title] if title else book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def _as_page(row: list[Any], amounts: tuple[int, ...]) -> list[str]:
    """A workbook row as the page writes it: each 元 + 万元 pair as “80万元（800,000元）”."""
    out: list[str] = []
    i = 0
    while i < len(row):
        if i in amounts:
            yuan, wan = row[i], row[i + 1]
            assert yuan is None or wan == yuan / 10_000, (yuan, wan)
            out.append("" if yuan is None else format_amount(yuan))
            i += 2
        else:
            out.append("" if row[i] is None else str(row[i]))
            i += 1
    return out


def test_the_approval_prints_as_a_gongwen_and_downloads_as_the_archived_pdf(
    new_page: Any, approved: dict[str, Any]
) -> None:
    page = new_page()
    login(page, tenant=YUNAN, role="auditor")
    open_tab(page, approved["id"], "workflow")  # the 立项批复 is the workflow's end
    page.get_by_role("link", name="查看公文（打印）").click()
    page.wait_for_url(f"**/projects/{approved['id']}/approval-document")
    sheet = page.locator("article.gongwen")
    assert sheet.locator(".mark").inner_text() == "郁南县政务和数据局文件"
    assert sheet.locator(".number").inner_text() == approved["number"]
    assert approved["name"] in sheet.locator("h1").inner_text()
    body = sheet.locator(".body").inner_text()
    assert "80万元（800,000元）" in body and "第十条" in body
    # The 版头's mark is red (GB/T 9704-2012 7.2.2).
    color = sheet.locator(".mark").evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(230, 0, 18)"
    look(page, "60-approval-gongwen-print-view")

    open_tab(page, approved["id"], "workflow")  # the 立项批复 is the workflow's end
    pdf = _download(page, "下载 PDF", ".pdf").read_bytes()
    version = approved["filed"]["current_version"]
    assert hashlib.sha256(pdf).hexdigest() == version["sha256"]
    assert hashlib.new("sm3", pdf).hexdigest() == version["sm3"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    assert approved["number"] in text and approved["name"] in text


def test_the_project_list_exports_the_filtered_rows(
    new_page: Any,
    browser_platform: RunningPlatform,
    clients: tuple[httpx.Client, httpx.Client, httpx.Client],
) -> None:
    registry = clients[0]
    token = f"导出{uuid.uuid4().hex[:6]}"
    unit = new_unit(browser_platform, registry, YUNAN)
    for i, amount in enumerate((800_000, 123_456, 50_000)):
        create_project(
            browser_platform, registry, YUNAN, unit, name=f"{token}项目{i}", amount=amount
        )
    create_project(browser_platform, registry, YUNAN, unit, name="不在筛选中的项目")
    page = new_page()
    login(page, tenant=YUNAN, role="bureau_officer")
    page.goto(f"/projects?q={token}&state=draft")
    shown = _table(page.locator("table"))
    assert len(shown) == 3
    header, rows = _sheet(_download(page, "导出 Excel"))
    assert header == [
        "项目名称",
        "辖区",
        "年度",
        "总投资（元）",
        "总投资（万元）",
        "管理方式",
        "状态",
    ]
    # The page shows the first 50 in 申报 order; the export holds every one, same order.
    assert [_as_page(r, (3,)) for r in rows][: len(shown)] == shown
    assert sorted(r[3] for r in rows) == [50_000, 123_456, 800_000]


def test_budget_plan_dashboard_and_deadline_exports_hold_the_pages_rows(
    new_page: Any, approved: dict[str, Any]
) -> None:
    finance = new_page()
    login(finance, tenant=YUNAN, role="finance_officer")
    finance.goto("/budget?status=approved")
    shown = _table(finance.locator("table"))
    assert approved["name"] in [r[0] for r in shown]
    header, rows = _sheet(_download(finance, "导出 Excel"))
    assert header[:5] == ["项目", "状态", "申报金额（元）", "申报金额（万元）", "资金审核"]
    # The page shows the first 50 under the filter; the export holds every one, same order.
    assert [_as_page(r, (2, 5, 7, 9, 11, 13)) for r in rows][: len(shown)] == shown
    assert {r[1] for r in rows} == {"已立项"}

    bureau = new_page()
    login(bureau, tenant=YUNAN, role="bureau_officer")
    bureau.goto(f"/plans/{approved['year']}")
    shown = [r[:5] for r in _table(bureau.locator("table"))]
    assert shown
    _, rows = _sheet(_download(bureau, "导出 Excel"))
    # The page shows the first 50 in 申报 order; the export holds every one, same order.
    assert [_as_page(r, (3,)) for r in rows][: len(shown)] == shown

    overseer = new_page()
    login(overseer, tenant=YUNFU, role="overseer")
    overseer.goto(f"/dashboard?county={YUNAN}")
    page_tables = {
        title: _table(overseer.locator(f"h2:has-text('{title}') ~ table").first)
        for title in ("按管理方式", "按年度")
    }
    path = _download(overseer, "导出 Excel")
    for title, shown in page_tables.items():
        _, rows = _sheet(path, title)
        assert [_as_page(r, (2,)) for r in rows] == shown, title
    assert approved["name"] in [r[0] for r in _sheet(path, "项目")[1]]
    _, overdue_rows = _sheet(path, "逾期事项")
    _, deadline_rows = _sheet(_download(overseer, "导出逾期事项 Excel"))
    assert deadline_rows == overdue_rows
