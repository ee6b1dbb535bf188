"""The lifecycle pages' errors and pages as people read them: refusals beside the form, no codes."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.responses import HTMLResponse, Response

from libs.policy import load_registry
from services.portal.client import ApiError
from services.portal.pages.admin import _judging
from services.portal.pages.deadlines import _return_to
from services.portal.pages.forms import Invalid, post_redirect_get
from services.portal.web import templates


def _run(act: Any, **kw: Any) -> tuple[Response, list[tuple[str, int]]]:
    drawn: list[tuple[str, int]] = []

    async def again(message: str, status: int) -> Response:
        drawn.append((message, status))
        return HTMLResponse(message, status_code=status)

    return asyncio.run(post_redirect_get(act, then="/units?registered=1", again=again, **kw)), drawn


def test_a_change_that_succeeds_is_followed_by_the_page_of_the_new_state() -> None:
    async def act() -> None:
        return None

    response, drawn = _run(act)
    assert response.status_code == 303 and response.headers["location"] == "/units?registered=1"
    assert drawn == []


def test_a_form_the_console_refuses_is_drawn_again_with_its_message() -> None:
    async def act() -> None:
        raise Invalid("请填写终止原因")

    response, drawn = _run(act)
    assert response.status_code == 422 and drawn == [("请填写终止原因", 422)]


def test_a_services_refusal_names_the_field_as_this_form_labels_it() -> None:
    async def act() -> None:
        raise ApiError(409, "建设单位已存在", "name: 本辖区已有名为「教育局」的建设单位")

    response, drawn = _run(act, fields={"name": "单位名称"})
    assert response.status_code == 409
    assert drawn == [("建设单位已存在：单位名称：本辖区已有名为「教育局」的建设单位", 409)]
    # Without the form's own label the shared one applies (a project's form).
    assert (
        ApiError(422, "输入数据不合法", "name: 不能为空").message
        == "输入数据不合法：项目名称：不能为空"
    )


def test_an_ended_session_is_not_shown_as_a_form_error() -> None:
    async def act() -> None:
        raise ApiError(401, "登录已失效，请重新登录")

    with pytest.raises(ApiError):
        _run(act)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("/deadlines", "/deadlines"),
        ("/projects/4b1c", "/projects/4b1c"),
        ("https://evil.example/", "/deadlines"),
        ("//evil.example/projects/", "/deadlines"),
        ("/projects//evil.example", "/deadlines"),
        ("", "/deadlines"),
    ],
)
def test_a_decision_returns_only_to_the_consoles_own_pages(typed: str, kept: str) -> None:
    assert _return_to(typed) == kept


def test_the_administrator_sees_the_pack_that_judges_each_jurisdiction_on_a_day() -> None:
    packs = load_registry(Path(__file__).resolve().parents[3] / "policies")
    # 莱政办发〔2022〕6号 was in force 2022-09-29..2024-09-28 (half-open validity).
    laizhou = _judging(packs, "370683", date(2024, 9, 28))
    assert laizhou is not None and laizhou.validity.effective_from == date(2022, 9, 29)
    later = _judging(packs, "370683", date(2024, 9, 29))
    assert later is None or later.id != laizhou.id
    potou = _judging(packs, "440804", date(2026, 12, 4))
    assert potou is not None and potou.status == "draft"  # a draft judges where nothing is in force
    assert _judging(packs, "445300", date(2026, 12, 4)) is None  # 云浮市 has no pack of its own


class _User:
    tenant = "370683"
    roles = frozenset({"bureau_officer"})
    subject = SimpleNamespace(name="测试用户")

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def _render(name: str, **context: Any) -> str:
    base = {"user": _User(), "csrf": "t", "tenant_names": {"370683": "莱州市"}, "v": {}}
    return templates.env.get_template(name).render(**base, **context)


def test_a_decommissioned_system_reads_its_disposition_and_proof_never_codes() -> None:
    system = {
        "id": "sys-1",
        "tenant_id": "370683",
        "unit_id": "unit-1",
        "name": "城市治理平台",
        "description": None,
        "state": "decommissioned",
        "disposition": "destruction",
        "evidence_document_id": "doc-9",
        "decommission_reason": "功能并入市级平台",
        "registered_at": "2026-01-02T01:00:00Z",
        "in_operation_at": None,
        "decommissioned_at": "2026-12-04T02:30:00Z",
        "version": 3,
        "projects": [],
        "unit_count_grows": False,
        "shares_data": True,
        "duplicate_collection": False,
        "crypto_compliant": True,
        "security_compliant": True,
        "secure_reliable": True,
        "hosted_on_gov_cloud": False,
    }
    page = _render(
        "catalog/system.html", system=system, unit_name="莱州市大数据局", projects=[], evidence=[]
    )
    assert "销毁数据，功能并入市级平台" in page and "2026-12-04 10:30" in page
    assert 'href="/documents/doc-9/content">处置证明' in page
    assert "destruction" not in page and "停用系统" not in page  # nothing left to do


def test_the_draw_page_shows_the_commitment_then_the_seed_and_its_recheck() -> None:
    draw = {
        "draw_id": "d-1",
        "tenant_id": "370683",
        "year": 2026,
        "status": "drawn",
        "commitment": "ab" * 32,
        "seed": "cd" * 16,
        "count": 1,
        "evaluator_count": 1,
        "project_pool": ["p-1", "p-2"],
        "projects": ["p-1"],
        "evaluators": ["孙专家"],
        "article": "第三十四条",
        "committed_at": "2026-12-01T00:00:00Z",
        "drawn_by": {"name": "王科长"},
        "drawn_at": "2026-12-02T00:00:00Z",
        "verification": {"reproduced": True, "within_pool": True, "commitment_matches": True},
    }
    page = _render(
        "deadlines/draws.html",
        draws=[draw],
        register=[],
        names={"p-1": "城市治理平台"},
        next_year=2026,
        form_key="k",
    )
    assert "已抽取（种子已公开）" in page and "cd" * 16 in page and "城市治理平台" in page
    assert "按公开种子重算结果一致" in page and "孙专家" in page
    assert "drawn" not in page.replace("drawn_", "")  # the state reads in Chinese
