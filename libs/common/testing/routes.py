"""Every API route of an app with its full path, whatever way the routers were included.

FastAPI 0.165 keeps included routers as lazy ``_IncludedRouter`` entries in
``app.routes``; a test that walked ``app.routes`` alone would see only the
app's own few routes and pass without looking at any of the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

__all__ = ["ApiRoute", "api_routes", "dependants"]

OPEN = frozenset({"/healthz", "/readyz"})


@dataclass(frozen=True)
class ApiRoute:
    path: str
    methods: frozenset[str]
    route: APIRoute


def api_routes(app: FastAPI) -> list[ApiRoute]:
    """The app's API routes (health and the OpenAPI pages left out), with their full paths."""
    found = []
    for context in iter_route_contexts(app.routes):
        route, path = context.route, str(context.path)
        if isinstance(route, APIRoute) and path not in OPEN:
            found.append(ApiRoute(path, frozenset(context.methods or ()), route))
    return found


def dependants(route: APIRoute) -> Iterator[Dependant]:
    """The route's dependency tree, depth first."""
    stack = [route.dependant]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.dependencies)
