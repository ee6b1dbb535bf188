"""Services talk to each other only over events (ADR 0008, "Service to service").

No service token exists: a call from one service to another's API would need
one, and nothing has designed what it carries (its tenant, its audience, that
it is no person's role). So no service's code may open an HTTP client; the
portal calls the services with the person's own token, and the dev tools and
tests are not services.
"""

from __future__ import annotations

import ast
from pathlib import Path

from libs.common.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2] / "services"
HTTP_CLIENTS = ("httpx", "aiohttp", "requests", "urllib.request", "http.client", "urllib3")


def _http_imports(path: Path, root: Path = ROOT.parent) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [
            f"{path.relative_to(root)}:{node.lineno} imports {name}"
            for name in names
            if any(name == c or name.startswith(f"{c}.") for c in HTTP_CLIENTS)
        ]
    return found


def test_no_service_calls_another_over_http() -> None:
    sources = [
        p
        for service in SERVICES
        for p in sorted((ROOT / service).rglob("*.py"))
        if "tests" not in p.relative_to(ROOT).parts
    ]
    assert len(sources) > 50  # the services' code was found, not an empty tree
    assert [hit for p in sources for hit in _http_imports(p)] == []


def test_the_check_sees_every_way_of_importing_a_client(tmp_path: Path) -> None:
    module = tmp_path / "calls.py"
    module.write_text(
        "import httpx\nfrom urllib import request\nfrom requests.adapters import HTTPAdapter\n"
        "import json\nfrom urllib.parse import quote\nfrom . import httpx_like\n",
        encoding="utf-8",
    )
    hits = _http_imports(module, tmp_path)
    assert [h.split(" imports ")[1] for h in hits] == [
        "httpx",
        "urllib.request",
        "requests.adapters",
        "requests.adapters.HTTPAdapter",
    ], hits
