"""One shape for every service (docs/adr/0007-service-layout.md), read off the running code.

What a maintainer or an integrator notices when it fails: a route whose answer
has no schema in the OpenAPI document, a POST that files twice when a client
retries it, a route that nobody authorizes, a service laid out differently.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from libs.common.settings import service_settings
from libs.common.testing.routes import api_routes, dependants

SERVICES = ("registry", "approval", "budget", "acceptance", "archive")
ROOT = Path(__file__).resolve().parents[2] / "services"
SERVICE_FILES = ("app.py", "api.py", "deps.py", "models.py", "events.py")
AGGREGATE_FILES = ("api.py", "service.py", "schemas.py")
OPEN = ("/healthz", "/readyz")


def _app(service: str) -> FastAPI:
    module = importlib.import_module(f"services.{service}.app")
    app: FastAPI = module.create_app(service_settings(service))
    return app




@pytest.fixture(scope="module", params=SERVICES)
def service(request: pytest.FixtureRequest) -> tuple[str, FastAPI, dict[str, Any]]:
    app = _app(request.param)
    return request.param, app, app.openapi()


def _is_typed(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return _is_typed(schema.get("items", {}), components)
    if schema.get("format") == "binary" or schema.get("type") == "string":
        return True  # a file download or a document: typed by its media type
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return all(_is_typed(s, components) for s in schema[key] if s.get("type") != "null")
    return bool(schema.get("properties"))


def test_every_route_answers_with_a_typed_schema(service: tuple[str, FastAPI, dict[str, Any]]) -> None:
    name, _, spec = service
    components = spec.get("components", {}).get("schemas", {})
    untyped = []
    for path, item in spec["paths"].items():
        if path in OPEN:
            continue
        for method, operation in item.items():
            answers = {c: r for c, r in operation.get("responses", {}).items() if c.startswith("2")}
            if "204" in answers or any(c.startswith("3") for c in operation.get("responses", {})):
                continue
            for code, answer in answers.items():
                content = answer.get("content", {})
                if not content or not any(_is_typed(m.get("schema", {}), components) for m in content.values()):
                    untyped.append(f"{method.upper()} {path} {code}")
    assert untyped == [], f"{name}: routes without a typed response schema: {untyped}"


def test_every_post_declares_and_honours_idempotency_key(
    service: tuple[str, FastAPI, dict[str, Any]],
) -> None:
    name, _, spec = service
    missing = [
        f"POST {path}"
        for path, item in spec["paths"].items()
        if "post" in item
        and not any(
            p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key"
            for p in item["post"].get("parameters", [])
        )
    ]
    assert missing == [], f"{name}: POSTs without Idempotency-Key: {missing}"


def _actions_of(route: APIRoute) -> set[str]:
    return {
        action.code
        for d in dependants(route)
        if (action := getattr(d.call, "govproj_action", None)) is not None
    }


def test_every_route_is_authorized_by_the_one_model(
    service: tuple[str, FastAPI, dict[str, Any]],
) -> None:
    name, app, _ = service
    routes = api_routes(app)
    assert len(routes) >= 10, f"{name}: only {len(routes)} routes found"
    unguarded = [
        f"{sorted(r.methods)[0]} {r.path}" for r in routes if not _actions_of(r.route)
    ]
    assert unguarded == [], f"{name}: routes without permit(...): {unguarded}"


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_has_the_same_files(name: str) -> None:
    folder = ROOT / name
    missing = [f for f in SERVICE_FILES if not (folder / f).is_file()]
    aggregates = [
        d for d in folder.iterdir()
        if d.is_dir() and (d / "api.py").is_file()
    ]
    for aggregate in aggregates:
        missing += [f"{aggregate.name}/{f}" for f in AGGREGATE_FILES if not (aggregate / f).is_file()]
    assert aggregates, f"{name}: no aggregate folders"
    assert missing == [], f"{name}: missing {missing}"
