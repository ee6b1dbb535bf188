"""Tests are laid out so that each can be read alone (docs/adr/0007-service-layout.md).

A test file never imports from another test file: shared helpers live in
libs/common/testing, a service's tests/support.py (or tests/support/), or
tests/integration/support.py. And every service has service-level tests of
its own beside its code.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registry", "approval", "budget", "acceptance", "archive")


def _test_files() -> list[Path]:
    roots = [ROOT / "tests", ROOT / "libs", ROOT / "services", ROOT / "policies"]
    return sorted(p for r in roots for p in r.rglob("test_*.py") if ".venv" not in p.parts)


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(("." * node.level) + node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


def test_no_test_file_imports_from_another_test_file() -> None:
    offenders = []
    for path in _test_files():
        for module in _imported_modules(path):
            if module.rsplit(".", 1)[-1].startswith("test_"):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == [], "\n".join(offenders)


def test_every_service_has_service_level_tests() -> None:
    empty = [
        s for s in SERVICES if len(list((ROOT / "services" / s / "tests").glob("test_*.py"))) < 2
    ]
    assert empty == []
