"""政务信息系统目录 as a person pages through it: 下一页 carries on in the same order, 第一页 returns."""

from __future__ import annotations

from typing import Any

from libs.vocab import CATALOG_SORTS
from services.portal.pages.catalog import CATALOG_PAGE_SIZE
from services.portal.tests.paging import link, viewer
from services.portal.web import templates

UNIT = "0192f0c4-5a1b-7c3d-9e8f-0123456789ab"


def _system(n: int) -> dict[str, Any]:
    return {
        "id": f"0192f0c4-5a1b-7c3d-9e8f-{n:012d}",
        "name": f"郁南县系统{n:02d}",
        "tenant_id": "445322",
        "unit_id": UNIT,
        "state": "in_operation",
        "registered_at": "2026-12-04T13:04:15+00:00",
        "shares_data": True,
        "crypto_compliant": True,
        "security_compliant": True,
        "hosted_on_gov_cloud": False,
    }


def _page(systems: list[dict[str, Any]], *, page_no: int, next_cursor: str | None) -> str:
    return templates.env.get_template("catalog.html").render(
        user=viewer("viewer", "445322"),
        tenant_names={"445322": "郁南县"},
        csrf="t",
        systems=systems,
        units=[{"id": UNIT, "name": "郁南县政务服务数据管理局"}],
        unit_names={UNIT: "郁南县政务服务数据管理局"},
        state="in_operation",
        sort="-registered",
        SORTABLE=CATALOG_SORTS,
        next_cursor=next_cursor,
        page_no=page_no,
        page_size=CATALOG_PAGE_SIZE,
        v={},
    )


def test_the_first_page_offers_the_next_in_the_same_order_and_filter() -> None:
    html = _page([_system(n) for n in range(1, 3)], page_no=1, next_cursor="WyItcmVnaXN0ZXJlZCJd")
    assert "郁南县系统01" in html and "郁南县系统02" in html
    assert link(html, "下一页") == (
        "/catalog?state=in_operation&sort=-registered&cursor=WyItcmVnaXN0ZXJlZCJd&page_no=2"
    )
    assert link(html, "第一页") is None
    assert "2026-12-04 21:04" in html  # 登记时间 in Beijing time
    # The sorted column says so and its header turns the order round.
    assert 'aria-sort="descending"' in html and "登记时间 ▼" in html
    assert 'href="/catalog?state=in_operation&amp;sort=name"' in html


def test_the_next_page_shows_its_rows_and_the_way_back_to_the_first() -> None:
    html = _page([_system(3)], page_no=2, next_cursor=None)
    assert "郁南县系统03" in html and "郁南县系统01" not in html
    assert "第 2 页，本页 1 个" in html
    assert link(html, "下一页") is None
    assert link(html, "第一页") == "/catalog?state=in_operation&sort=-registered"
