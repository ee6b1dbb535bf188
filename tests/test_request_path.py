"""Every request of every service runs on the event loop: no dependency hops to a thread.

FastAPI runs a plain ``def`` dependency in Starlette's thread pool, one hand-off
(and wake-up) per request and per such dependency; the profile of issue 21
showed it on every authenticated request. Dependencies are ``async def``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from libs.common.settings import SERVICES


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """The app's API routes, through included routers (FastAPI keeps them nested)."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield route
        for context in getattr(route, "effective_route_contexts", list)():
            if isinstance(context.original_route, APIRoute):
                yield context.original_route


def runs_on_the_loop(call: Callable[..., Any]) -> bool:
    method = getattr(call, "__call__", None)  # noqa: B004 - instances such as HTTPBearer
    return any(
        inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f) for f in (call, method)
    )


def threaded(dependant: Dependant) -> Iterator[str]:
    for sub in dependant.dependencies:
        if sub.call is not None and not runs_on_the_loop(sub.call):
            yield getattr(sub.call, "__qualname__", repr(sub.call))
        yield from threaded(sub)


@pytest.mark.parametrize("service", SERVICES)
def test_no_route_runs_a_dependency_in_the_thread_pool(service: str) -> None:
    app = importlib.import_module(f"services.{service}.app").create_app()
    routes = list(api_routes(app))
    assert len(routes) > 10, "the service's routes are all seen"

    found = {
        f"{route.path}: {name}"
        for route in routes
        for name in [
            *threaded(route.dependant),
            *([] if runs_on_the_loop(route.endpoint) else ["(the route itself)"]),
        ]
    }

    assert not found
