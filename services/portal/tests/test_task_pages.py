"""待办 as a person pages through it: sortable headers, 下一页 goes on, 第一页 returns."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from libs.vocab import TASK_SORTS
from services.portal.pages.tasks import TASKS_PAGE_SIZE
from services.portal.tests.paging import link, viewer
from services.portal.web import templates


def _step(n: int) -> dict[str, Any]:
    return {
        "kind": "step",
        "step_id": f"0192f0c4-5a1b-7c3d-9e8f-{n:012d}",
        "workflow_id": f"0192f0c4-5a1b-7c3d-bbbb-{n:012d}",
        "project_id": f"0192f0c4-5a1b-7c3d-aaaa-{n:012d}",
        "project_name": f"郁南县项目{n:02d}",
        "purpose": "approval",
        "code": "review",
        "route": "approval",
        "amount": n * 1_000_000,
        "article": "第十二条",
        "opened_at": "2026-12-04T01:00:00+00:00",
    }


def _page(steps: list[dict[str, Any]], *, page_no: int, next_cursor: str | None) -> str:
    return templates.env.get_template("tasks/list.html").render(
        request=SimpleNamespace(query_params={}),
        user=viewer("bureau_officer", "445322"),
        csrf="t",
        tenant_names={"445322": "郁南县"},
        steps=steps,
        reviews=[],
        reports=[],
        unavailable=None,
        sort="-amount",
        SORTABLE=TASK_SORTS,
        next_cursor=next_cursor,
        page_no=page_no,
        page_size=TASKS_PAGE_SIZE,
    )


def test_the_first_page_of_the_queue_offers_the_next_in_the_same_order() -> None:
    html = _page([_step(9), _step(8)], page_no=1, next_cursor="WyItYW1vdW50Il0")
    assert "郁南县项目09" in html and "郁南县项目08" in html
    assert link(html, "下一页") == "/tasks?sort=-amount&cursor=WyItYW1vdW50Il0&page_no=2"
    assert link(html, "第一页") is None
    assert 'aria-sort="descending"' in html and "金额 ▼" in html
    assert 'href="/tasks?sort=amount"' in html and 'href="/tasks?sort=name"' in html


def test_the_next_page_of_the_queue_shows_its_rows_and_the_way_back() -> None:
    html = _page([_step(7)], page_no=2, next_cursor=None)
    assert "郁南县项目07" in html and "郁南县项目09" not in html
    assert "第 2 页，本页 1 项" in html and link(html, "下一页") is None
    assert link(html, "第一页") == "/tasks?sort=-amount"
