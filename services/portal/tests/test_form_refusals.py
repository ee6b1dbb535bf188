"""How a page reads where a list is and shows a refused form: the console's shared pieces."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.datastructures import FormData

from services.portal.client import ApiError
from services.portal.pages.forms import Invalid, Shown, answer_or_refusal, drawn_version
from services.portal.paging import PageQuery, Paging


def _where(query: str) -> PageQuery:
    app = FastAPI()

    @app.get("/list")
    async def read(at: Paging) -> dict[str, Any]:
        return {"sort": at.sort, "cursor": at.cursor, "page_no": at.page_no}

    return PageQuery(**TestClient(app).get(f"/list?{query}").json())


def test_a_list_reads_its_order_cursor_and_page_number_from_the_address() -> None:
    assert _where("sort=-registered&cursor=WyJhIl0&page_no=3") == PageQuery(
        "-registered", "WyJhIl0", 3
    )
    # No order asked: the list's own default applies (PagedList.fetch, known_sort).
    assert _where("") == PageQuery("", "", 1)


async def _refused(status: int) -> Any:
    raise ApiError(status, "项目状态不允许此操作", "state: 项目当前为草稿")


def test_a_services_refusal_is_shown_beside_the_form_with_its_title_and_what_was_typed() -> None:
    shown = asyncio.run(answer_or_refusal(_refused(409), {"note": "已核验"}))
    assert isinstance(shown, Shown)
    assert shown.status == 409
    context = shown.context(error_title="人工确认未录入")
    assert context["error_title"] == "项目状态不允许此操作"  # the service's own words first
    assert "项目当前为草稿" in context["error"] and "state" not in context["error"]
    assert context["v"] == {"note": "已核验"}


def test_an_answer_passes_through_and_an_ended_session_goes_on_to_the_login() -> None:
    async def answered() -> dict[str, str]:
        return {"id": "r1"}

    assert asyncio.run(answer_or_refusal(answered())) == {"id": "r1"}
    with pytest.raises(ApiError):
        asyncio.run(answer_or_refusal(_refused(401)))


def test_a_refusal_the_console_words_itself_carries_the_pages_title() -> None:
    assert (
        Shown("请选择要验收的归档信息包", status=400).context(error_title="档案验收未完成")[
            "error_title"
        ]
        == "档案验收未完成"
    )
    assert Shown("请填写名称").context()["error_title"] == "操作未完成"


def test_an_edit_without_the_version_it_was_drawn_from_is_refused_before_sending() -> None:
    assert drawn_version(FormData({"version": "3"})) == 3
    with pytest.raises(Invalid, match="页面已过期"):
        drawn_version(FormData({"version": ""}))
