"""Rendering the chart once per values set, for every test of tests/deploy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "govproj"
EXTERNAL_VALUES = ROOT / "deploy" / "helm" / "examples" / "values-external.yaml"

helm_python = pytest.importorskip(
    "helm_python", reason="helm-python-sdk (Helm's Go SDK) renders the chart"
)


def render(values: dict[str, Any] | None = None, *, upgrade: bool = False) -> list[dict[str, Any]]:
    """The chart's manifests for ``values``, as Helm would install them (hooks included)."""
    with helm_python.Chart.load(CHART) as chart:
        rendered = chart.render(
            values or {},
            name="govproj",
            namespace="govproj",
            is_install=not upgrade,
            is_upgrade=upgrade,
        )
    docs: list[dict[str, Any]] = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc.setdefault("metadata", {}).setdefault("annotations", {})
                doc["_template"] = path
                docs.append(doc)
    return docs


def external_values() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXTERNAL_VALUES.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def default_manifests() -> list[dict[str, Any]]:
    return render()


@pytest.fixture(scope="session")
def external_manifests() -> list[dict[str, Any]]:
    return render(external_values())


@pytest.fixture(scope="session", params=["default", "external"])
def manifests(
    request: pytest.FixtureRequest,
    default_manifests: list[dict[str, Any]],
    external_manifests: list[dict[str, Any]],
) -> Iterator[list[dict[str, Any]]]:
    yield default_manifests if request.param == "default" else external_manifests
