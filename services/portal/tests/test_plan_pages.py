"""The annual plan's items as the bureau pages through them: the order carries to 下一页, and
each item is excluded or restored by its own button, returning to the same page."""

from __future__ import annotations

from typing import Any

from libs.vocab import PLAN_ITEM_SORTS
from services.portal.pages.plans import PAGE_SIZE
from services.portal.tests.paging import link, viewer
from services.portal.web import templates

UNIT = "0192f0c4-5a1b-7c3d-9e8f-0123456789ab"
HERE = "/plans/2028?sort=-amount&cursor=WyItYW1vdW50Il0&page_no=2"


def _item(n: int, state: str = "submitted") -> dict[str, Any]:
    return {
        "id": f"0192f0c4-5a1b-7c3d-9e8f-{n:012d}",
        "name": f"需求{n:02d}",
        "unit_id": UNIT,
        "project_class": "public",
        "amount": 100_000 * n,
        "state": state,
        "submitted_on": "2026-12-04",
    }


def _page(items: list[dict[str, Any]], *, role: str, page_no: int, next_cursor: str | None) -> str:
    plan = {
        "state": "collecting",
        "due": None,
        "item_count": 53,
        "excluded_count": 1,
        "total_amount": 5_000_000,
        "window_open": True,
    }
    return templates.env.get_template("plans.html").render(
        user=viewer(role, "445322"),
        tenant_names={"445322": "郁南县"},
        csrf="t",
        plan=plan,
        items=items,
        year=2028,
        sort="-amount",
        SORTABLE=PLAN_ITEM_SORTS,
        next_cursor=next_cursor,
        page_no=page_no,
        page_size=PAGE_SIZE,
        here=HERE,
        units=[],
        unit_names={UNIT: "郁南县教育局"},
        v={},
        PROJECT_CLASSES={"public": "公共基础类", "professional": "专业类"},
    )


def test_the_bureau_pages_on_in_the_same_order_and_excludes_item_by_item() -> None:
    html = _page(
        [_item(3), _item(2, "excluded")], role="bureau_officer", page_no=1, next_cursor="Yw"
    )
    assert link(html, "下一页") == "/plans/2028?sort=-amount&cursor=Yw&page_no=2"
    assert "53 项（其中 1 项不纳入）" in html and "第 1 页，本页 2 项，还有更多" in html
    assert 'aria-sort="descending"' in html and "预计总投资 ▼" in html
    assert 'action="/plans/2028/items/0192f0c4-5a1b-7c3d-9e8f-000000000003/exclude"' in html
    assert 'action="/plans/2028/items/0192f0c4-5a1b-7c3d-9e8f-000000000002/restore"' in html
    assert html.count(f'name="back" value="{HERE.replace("&", "&amp;")}"') == 2
    assert "汇总形成年度建设计划" in html and 'name="exclude"' not in html


def test_a_unit_reads_the_page_without_the_bureaus_buttons() -> None:
    html = _page([_item(1)], role="unit_officer", page_no=2, next_cursor=None)
    assert link(html, "第一页") == "/plans/2028?sort=-amount" and link(html, "下一页") is None
    assert "/exclude" not in html and "汇总形成年度建设计划" not in html
