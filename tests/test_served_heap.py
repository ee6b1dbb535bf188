"""A served process freezes its startup heap once the app's startup is done (govproj/commands/_uvicorn.py)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from govproj.commands._uvicorn import freeze_heap_after_startup


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process keeps the default collector


def test_the_heap_is_frozen_after_startup_and_the_apps_own_lifespan_still_runs(
    unfrozen: None,
) -> None:
    seen: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, str]]:
        seen.append(f"startup, frozen {gc.get_freeze_count()}")
        yield {"built": "at startup"}
        seen.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.get("/built")
    async def built(request: Request) -> str:
        return str(request.state.built)

    freeze_heap_after_startup(app)
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert seen == ["startup, frozen 0"]  # frozen after startup, not before
        assert gc.get_freeze_count() > 0
        assert client.get("/built").json() == "at startup"  # the lifespan's state is served
    assert seen[-1] == "shutdown"
