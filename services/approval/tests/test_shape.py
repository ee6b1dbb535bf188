"""The approval service keeps ADR 0007/0008's promises on every route (read from the app)."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from libs.common.idempotency import HEADER
from services.approval.api import router
from services.approval.app import create_app

# Every aggregate router mounted by api.py (FastAPI keeps included routers as such).
ROUTES = [
    r
    for included in router.routes
    for r in getattr(getattr(included, "original_router", None), "routes", [included])
    if isinstance(r, APIRoute)
]
OPENAPI: dict[str, Any] = create_app(run_workers=False, check_schema=False).openapi()


def _actions(route: APIRoute) -> list[str]:
    return [
        d.call.govproj_action.code  # type: ignore[union-attr]
        for d in route.dependant.dependencies
        if hasattr(d.call, "govproj_action")
    ]


def test_every_route_answers_a_typed_schema_and_declares_its_action() -> None:
    assert len(ROUTES) >= 14
    for route in ROUTES:
        assert route.response_model is not None, route.path
        assert len(_actions(route)) == 1, (route.path, _actions(route))
        for method in route.methods or ():
            op = OPENAPI["paths"][route.path][method.lower()]
            ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
            schema = ok["content"]["application/json"]["schema"]
            assert "$ref" in schema or schema.get("type") == "array", (route.path, schema)


def test_every_post_declares_idempotency_key() -> None:
    posts = [r for r in ROUTES if "POST" in (r.methods or ())]
    assert len(posts) >= 5
    for route in posts:
        params = OPENAPI["paths"][route.path]["post"].get("parameters", [])
        assert any(p["in"] == "header" and p["name"] == HEADER for p in params), route.path
