"""Forged cross-site requests never reach a route: Origin check and a session-bound token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from libs.common.settings import SERVICES, CommonSettings
from services.portal import session
from services.portal.app import create_app
from services.portal.csrf import csrf_token
from services.portal.settings import PortalSettings

SECRET = "test-secret"
SID = "sid-of-this-login"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, list[str]]]:
    settings = PortalSettings(
        session_secret=SECRET, service_urls={s: "http://127.0.0.1:9" for s in SERVICES}
    )
    app = create_app(settings, CommonSettings(home=tmp_path))
    reached: list[str] = []
    probe = APIRouter()

    @probe.post("/probe")
    async def record() -> dict[str, bool]:
        reached.append("probe")
        return {"ok": True}

    app.include_router(probe)
    with TestClient(app, base_url="http://portal.test") as c:
        c.cookies.set(session.COOKIE, session.encode(SECRET, {"sid": SID, "access_token": "t"}))
        yield c, reached


def _token(c: TestClient) -> str:
    return csrf_token(SECRET, SID)


def test_a_form_from_another_site_is_refused_before_any_route(
    client: tuple[TestClient, list[str]],
) -> None:
    c, reached = client
    answer = c.post(
        "/probe",
        data={"_csrf": _token(c)},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403 and "来源校验未通过" in answer.text
    no_origin = c.post("/probe", data={"_csrf": _token(c)})
    assert no_origin.status_code == 403
    assert reached == []


def test_a_form_without_the_session_token_is_refused(client: tuple[TestClient, list[str]]) -> None:
    c, reached = client
    own = {"Origin": "http://portal.test"}
    assert c.post("/probe", data={"x": "1"}, headers=own).status_code == 403
    assert c.post("/probe", data={"_csrf": "0" * 40}, headers=own).status_code == 403
    assert c.post("/probe", headers={**own, "X-CSRF-Token": "forged"}).status_code == 403
    assert reached == []


def test_the_console_s_own_form_and_htmx_request_pass(client: tuple[TestClient, list[str]]) -> None:
    c, reached = client
    own = {"Origin": "http://portal.test"}
    assert c.post("/probe", data={"_csrf": _token(c), "x": "1"}, headers=own).status_code == 200
    referer = {"Referer": "http://portal.test/projects/1"}
    assert c.post("/probe", headers={**referer, "X-CSRF-Token": _token(c)}).status_code == 200
    assert reached == ["probe", "probe"]
