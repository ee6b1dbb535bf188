"""Every state-changing endpoint of the five services has a console page, or a written reason.

docs/portal.md "API-only operations" names the few that stay API-only (and
why) and the ones not on a page yet; everything else must be called by a page
of services/portal. What a person would notice if this failed: a step their
role may take that the console offers nowhere, so only a programmer could take it.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from libs.common.settings import service_settings
from libs.common.testing.routes import api_routes, dependants

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registry", "approval", "budget", "acceptance", "archive")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PARAM = re.compile(r"\{[^}]*\}")

Endpoint = tuple[str, str, str]  # service, method, path with "{}" for each parameter


def _shape(path: str) -> str:
    return _PARAM.sub("{}", path)


def state_changing_endpoints() -> set[Endpoint]:
    """Routes that change something: a writing method guarded by a writing action (ADR 0008)."""
    found = set()
    for service in SERVICES:
        app = importlib.import_module(f"services.{service}.app").create_app(
            service_settings(service)
        )
        for api in api_routes(app):
            actions = [getattr(d.call, "govproj_action", None) for d in dependants(api.route)]
            if any(a is not None and a.writes for a in actions):
                found |= {(service, m, _shape(api.path)) for m in api.methods & WRITES}
    return found


def _text(node: ast.expr) -> str | None:
    """A literal or an f-string as a path shape (each interpolation becomes "{}")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _shape(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def console_calls() -> set[Endpoint]:
    """What the console's pages send: ``api.request(METHOD, service, path)``,
    ``api.post/patch(service, path)`` and ``(service, METHOD, path, …)`` action tables."""
    calls: set[Endpoint] = set()
    for source in (ROOT / "services" / "portal").rglob("*.py"):
        if "tests" in source.parts:
            continue
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "forward_upload"  # pages/streams.py: a POST to the archive
                and len(node.args) >= 3
                and (path := _text(node.args[2])) is not None
            ):
                calls.add(("archive", "POST", path))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                args = [_text(a) for a in node.args]
                verb = node.func.attr.upper()
                if verb == "REQUEST" and len(args) >= 3 and None not in args[:3]:
                    calls.add((str(args[1]), str(args[0]), str(args[2])))
                elif verb in WRITES and len(args) >= 2 and None not in args[:2]:
                    calls.add((str(args[0]), verb, str(args[1])))
            elif isinstance(node, ast.Tuple) and len(node.elts) >= 3:
                service, method, path = (_text(e) for e in node.elts[:3])
                if service in SERVICES and method in WRITES and path:
                    calls.add((service, method, path))
    return calls


def documented() -> dict[Endpoint, str]:
    """docs/portal.md "API-only operations": each table row's endpoint and its reason."""
    text = (ROOT / "docs" / "portal.md").read_text()
    section = text.split("\n## API-only operations\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[Endpoint, str] = {}
    for line in section.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in SERVICES:
            service, method, path, why = cells
            rows[(service, method, _shape(path))] = why
    return rows


ENDPOINTS = state_changing_endpoints()
CALLED = console_calls()
DOCUMENTED = documented()


def test_the_walk_sees_the_api_and_the_console() -> None:
    # The checks below would pass on empty sets: make sure both walks found their things.
    assert len(ENDPOINTS) >= 40, sorted(ENDPOINTS)
    assert ("registry", "POST", "/v1/projects/{}/submit") in CALLED
    assert ("budget", "POST", "/v1/projects/{}/procurement") in CALLED  # an action table
    assert ("acceptance", "PUT", "/v1/projects/{}/review/items/{}") in CALLED


def test_every_state_changing_endpoint_has_a_page_or_a_documented_reason() -> None:
    missing = sorted(ENDPOINTS - CALLED - DOCUMENTED.keys())
    assert not missing, (
        "state-changing endpoints without a console page: add a page, or name the "
        f"endpoint and the reason in docs/portal.md “API-only operations”: {missing}"
    )


def test_the_documented_list_names_real_endpoints_without_a_page() -> None:
    stale = sorted(DOCUMENTED.keys() - ENDPOINTS)
    assert not stale, f"docs/portal.md names endpoints that no service has: {stale}"
    paged = sorted(DOCUMENTED.keys() & CALLED)
    assert not paged, f"docs/portal.md calls these API-only, but a console page calls them: {paged}"
    assert all(len(why) >= 8 for why in DOCUMENTED.values()), DOCUMENTED
