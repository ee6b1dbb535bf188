"""Fixtures: the test-only Yunan pack, and copies of it that a test may break."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from libs.policy import Pack, PolicyRegistry, load_registry

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
YUNAN_DIR = FIXTURES / "445322-yunan"
YUNAN_FILE = YUNAN_DIR / "2024-08-17.yaml"
ON = date(2025, 3, 1)

Mutator = Callable[[dict[str, Any]], None]


def yunan_data() -> dict[str, Any]:
    """The fixture pack as a mapping, to edit and write back."""
    data: dict[str, Any] = yaml.safe_load(YUNAN_FILE.read_text(encoding="utf-8"))
    return data


def write_pack(folder: Path, data: dict[str, Any], name: str = "pack.yaml") -> Path:
    """Write ``data`` as a pack file in ``folder`` (created, with Yunan's source.txt)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "source.txt").exists():
        shutil.copy(YUNAN_DIR / "source.txt", folder / "source.txt")
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def registry() -> PolicyRegistry:
    return load_registry(FIXTURES)


@pytest.fixture(scope="session")
def yunan(registry: PolicyRegistry) -> Pack:
    return registry.get("fixture-yunan-2024")


@pytest.fixture
def broken(tmp_path: Path) -> Callable[[Mutator], Path]:
    """Write a copy of the fixture pack changed by ``mutate``; return the policies root."""

    def make(mutate: Mutator) -> Path:
        data = yunan_data()
        mutate(data)
        write_pack(tmp_path / "policies" / "445322-yunan", data)
        return tmp_path / "policies"

    return make


def project(**overrides: Any) -> dict[str, Any]:
    """Ordinary facts of a public software project of 60万元, with ``overrides``."""
    facts: dict[str, Any] = {
        "project_class": "public",
        "service_types": ["software_development"],
        "amount": 600_000,
    }
    facts.update(overrides)
    return facts
