"""A failure nobody planned for is logged with its trace id and answered 500 problem+json.

Before: a database error other than the driver's refusal of a parameter became a
500 with no log line at all, so nobody could tell why a request failed.
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from libs.common.db import create_engine
from libs.common.errors import install_problem_handlers
from libs.common.telemetry import JsonLogFormatter
from libs.common.testing.pytest_plugin import make_database


@pytest.fixture
def app(postgres_admin_url: str) -> FastAPI:
    urls = make_database(postgres_admin_url)
    engine = create_engine(urls.app, pool_size=1)
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/v1/report")
    async def report() -> dict[str, int]:
        async with engine.connect() as conn:
            # A real PostgreSQL failure (a relation that is not there), as a
            # missing migration or a revoked grant would give.
            await conn.execute(text("SELECT count(*) FROM no_such_table"))
        return {"n": 0}

    @app.get("/v1/cast")
    async def cast(value: str) -> dict[str, int]:
        async with engine.connect() as conn:
            # PostgreSQL refuses the text (DataError); asyncpg refuses a number
            # beyond bigint before PostgreSQL sees it (its own DataError).
            if value.isdigit():
                await conn.execute(text("SELECT CAST(:v AS bigint)"), {"v": int(value)})
            else:
                await conn.execute(text("SELECT CAST(CAST(:v AS text) AS integer)"), {"v": value})
        return {"n": 0}

    return app


@pytest.mark.parametrize("value", ["not-a-number", str(10**20)])
async def test_a_value_the_database_cannot_hold_is_422_in_chinese_not_500(
    app: FastAPI, value: str
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/v1/cast", params={"value": value})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["title"] == "输入数据不合法"


async def test_a_database_failure_is_logged_with_the_trace_id_and_answered_500(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with caplog.at_level(logging.ERROR, logger="govproj.errors"):
            answer = await client.get(
                "/v1/report", headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"}
            )
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["title"] == "服务器内部错误"
    assert body["trace_id"] == trace
    assert "no_such_table" not in answer.text  # internals stay in the log
    [record] = [r for r in caplog.records if r.name == "govproj.errors"]
    line = json.loads(JsonLogFormatter("test").format(record))
    assert line["trace_id"] == trace
    assert "GET /v1/report" in line["message"] and "no_such_table" in line["exception"]
