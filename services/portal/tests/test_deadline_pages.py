"""期限与延期 as a person pages through it: each row names its project, 下一页 goes on, 第一页 returns."""

from __future__ import annotations

from typing import Any

from services.portal.pages.deadlines import DEADLINES_PAGE_SIZE
from services.portal.tests.paging import link, viewer
from services.portal.web import templates


def _deadline(n: int) -> dict[str, Any]:
    return {
        "id": f"0192f0c4-5a1b-7c3d-9e8f-{n:012d}",
        "tenant_id": "370683",
        "project_id": f"0192f0c4-5a1b-7c3d-aaaa-{n:012d}",
        "project_name": f"莱州市项目{n:02d}",
        "code": "acceptance_due",
        "due_on": f"2030-01-{n:02d}",
        "original_due_on": f"2030-01-{n:02d}",
        "status": "open",
        "met_on": None,
        "article": "第二十三条",
        "reminded_at": None,
        "overdue_at": None,
    }


def _page(rows: list[dict[str, Any]], *, page_no: int, next_cursor: str | None) -> str:
    return templates.env.get_template("deadlines/list.html").render(
        user=viewer("overseer", "370683"),
        csrf="t",
        tenant_names={"370683": "莱州市"},
        deadlines=rows,
        pending=[],
        status_filter="open",
        sort="-due",
        next_cursor=next_cursor,
        page_no=page_no,
        page_size=DEADLINES_PAGE_SIZE,
        today="2026-12-04",
    )


def test_the_first_page_names_each_project_and_offers_the_next() -> None:
    html = _page([_deadline(9), _deadline(8)], page_no=1, next_cursor="WyItZHVlIl0")
    assert "莱州市项目09" in html and "莱州市项目08" in html and "（未命名项目）" not in html
    assert link(html, "下一页") == "/deadlines?status=open&sort=-due&cursor=WyItZHVlIl0&page_no=2"
    assert link(html, "第一页") is None
    # 应于 is sorted latest first; its header turns the order round.
    assert 'aria-sort="descending"' in html and "应于 ▼" in html
    assert 'href="/deadlines?status=open&amp;sort=due"' in html


def test_the_next_page_shows_its_rows_and_the_way_back() -> None:
    html = _page([_deadline(7)], page_no=2, next_cursor=None)
    assert "莱州市项目07" in html and "莱州市项目09" not in html
    assert "第 2 页，本页 1 个" in html and link(html, "下一页") is None
    assert link(html, "第一页") == "/deadlines?status=open&sort=-due"
