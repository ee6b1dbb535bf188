"""The HTTP server span of each request, named after the route the router already matched.

``opentelemetry-instrumentation-fastapi`` names the span before routing: for every
request it flattens the app's routes and matches them all again, in order, to find
the template (``GET /v1/projects/{id}``): 3–6 % of a GET's samples
(docs/benchmarks.md). This builds the same middleware stack around the same
``OpenTelemetryMiddleware`` (so the same span, attributes and exception recording),
but starts the span named by its method alone and, when the answer starts (or an
exception escapes), names it and sets ``http.route`` from the route the router put in
the ASGI scope (``scope["route"]``, the partial match of a 405 included). Only a request
answered before routing (a middleware's 401 or 413) or by no route (404) is matched as
the instrumentor matches every request; a 404 keeps the method alone, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.http import sanitize_method
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RouteTemplates", "instrument_routes"]


def _method(scope: Scope) -> str:
    method = sanitize_method(str(scope.get("method", "")).strip())
    return "HTTP" if method == "_OTHER" else method


def _method_only(scope: Scope) -> tuple[str, dict[str, str]]:
    """The span's name and attributes until the route is known: the method alone."""
    return _method(scope), {}


class RouteTemplates:
    """The template each of an app's routes answers under (its prefixes included).

    Built once, on the first request (every router is included by then): a route
    object included under one template maps to it; one included under several (a
    router mounted twice) is matched against the request's path among those.
    """

    def __init__(self, routes: Callable[[], Iterable[BaseRoute]]) -> None:
        self._routes = routes
        self._by_route: dict[int, str | None] | None = None
        self._contexts: list[Any] = []

    def _index(self) -> dict[int, str | None]:
        if self._by_route is None:
            self._contexts = list(iter_route_contexts(list(self._routes())))
            by_route: dict[int, str | None] = {}
            for context in self._contexts:
                key = id(context.original_route)
                same = by_route.get(key, context.path) == context.path
                by_route[key] = context.path if same else None
            self._by_route = by_route
        return self._by_route

    def of(self, route: BaseRoute, scope: Scope) -> str | None:
        """The template of ``route``, which the router chose for ``scope``."""
        by_route = self._index()
        key = id(route)
        if key not in by_route:
            return getattr(route, "path", None)
        found = by_route[key]
        if found is not None:
            return found
        for context in self._contexts:
            if context.original_route is route and context.matches(scope)[0] is not Match.NONE:
                path: str | None = context.path
                return path
        return None

    def matching(self, scope: Scope) -> str | None:
        """The template of a request answered before routing (a middleware's 401 or 413),
        found as the instrumentor finds every request's: the first route that matches it
        in full, else the last that matches it in part (a 405's); None for a 404."""
        self._index()
        partly = None
        for context in self._contexts:
            match = context.matches(scope)[0]
            if match is Match.FULL:
                path: str | None = context.path
                return path
            if match is Match.PARTIAL:
                partly = context.path
        return partly


class _RouteSpan:
    """Innermost part of the traced stack: names the request's span after its route when
    the answer starts (the span ends with the answer's last body message), or when an
    exception escapes the app, which it records on the span before the error answer."""

    def __init__(self, app: ASGIApp, templates: RouteTemplates) -> None:
        self.app = app
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        span = trace.get_current_span()
        if not span.is_recording():  # not sampled, or a health probe: nothing to name
            await self.app(scope, receive, send)
            return

        async def send_named(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._name(span, scope)
            await send(message)

        try:
            await self.app(scope, receive, send_named)
        except Exception as exc:
            self._name(span, scope)
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise

    def _name(self, span: trace.Span, scope: Scope) -> None:
        route = scope.get("route")
        if route is not None:
            template = self.templates.of(route, scope)
        else:  # answered before routing, or no route matched
            template = self.templates.matching(scope)
        if template:  # named as the instrumentor names it: "GET /v1/projects/{id}"
            span.set_attribute(HTTP_ROUTE, template)
            method = _method(scope)
            span.update_name(f"{method} {template}" if method else template)


def instrument_routes(
    app: FastAPI, *, excluded_urls: str, exclude_spans: list[Any] | None = None
) -> None:
    """Trace ``app``'s requests as ``FastAPIInstrumentor.instrument_app`` does, the span
    named from the matched route (see the module's docstring).

    The stack is the instrumentor's: Starlette's own (``ServerErrorMiddleware`` →
    user middleware → routing) with its error middleware moved inside the tracing one,
    so the catch-all handler's 500 answer is sent inside the request's span, and one
    more ``ServerErrorMiddleware`` outside for a failure of tracing itself.
    """
    templates = RouteTemplates(lambda: app.routes)
    build = app.build_middleware_stack

    def build_traced_stack() -> ASGIApp:
        inner = build()
        if not isinstance(inner, ServerErrorMiddleware):  # Starlette changed its stack
            raise TypeError(f"unexpected outer middleware {type(inner).__name__}")
        errors = ServerErrorMiddleware(
            _RouteSpan(inner.app, templates), handler=inner.handler, debug=inner.debug
        )
        traced = OpenTelemetryMiddleware(
            errors,
            excluded_urls=excluded_urls,
            default_span_details=_method_only,
            exclude_spans=exclude_spans,
        )
        return ServerErrorMiddleware(traced)

    app.build_middleware_stack = build_traced_stack  # type: ignore[method-assign]
