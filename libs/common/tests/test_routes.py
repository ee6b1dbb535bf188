"""A paged list's query parameters and X-Next-Cursor, as a client of any service sees them."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Response

from libs.common.errors import install_problem_handlers
from libs.common.routes import NEXT_CURSOR, Cursor, PageLimit, TenantCode, paged

ROWS = [f"row-{n}" for n in range(5)]


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/rows")
    async def rows(
        response: Response, tenant: TenantCode = None, cursor: Cursor = None, limit: PageLimit = 2
    ) -> list[str]:
        start = int(cursor or 0)
        more = start + limit < len(ROWS)
        page = (ROWS[start : start + limit], str(start + limit) if more else None)
        return paged(response, page)

    return app


async def _get(params: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/rows", params=params)


async def test_a_client_follows_the_next_cursor_to_the_last_page_which_names_none() -> None:
    seen: list[str] = []
    params: dict[str, str] = {}
    while True:
        answer = await _get(params)
        assert answer.status_code == 200
        seen += answer.json()
        if NEXT_CURSOR not in answer.headers:
            break
        params = {"cursor": answer.headers[NEXT_CURSOR]}
    assert seen == ROWS


async def test_a_page_of_no_rows_or_of_more_than_200_is_refused_as_problem_json() -> None:
    for limit in ("0", "201"):
        answer = await _get({"limit": limit})
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_an_overlong_cursor_or_a_malformed_jurisdiction_code_is_refused() -> None:
    assert (await _get({"cursor": "x" * 501})).status_code == 422
    assert (await _get({"tenant": "44532"})).status_code == 422
    assert (await _get({"tenant": "445322"})).status_code == 200
