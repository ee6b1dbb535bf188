"""The smallest Kubernetes API server Helm's client-side dry run needs.

`helm install --dry-run=client` still asks the cluster for its version and its
API groups (the chart's `Capabilities`) before rendering; it creates nothing.
This answers those discovery calls (and an empty list of Helm's release
Secrets) only, for the kinds the chart renders, so
the real helm binary runs its install-time checks (dependencies, schema,
kubeVersion, hooks) on a machine without a cluster.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RESOURCES: dict[str, list[tuple[str, str]]] = {
    "v1": [
        ("configmaps", "ConfigMap"),
        ("secrets", "Secret"),
        ("services", "Service"),
        ("serviceaccounts", "ServiceAccount"),
        ("pods", "Pod"),
    ],
    "apps/v1": [("deployments", "Deployment"), ("statefulsets", "StatefulSet")],
    "batch/v1": [("jobs", "Job"), ("cronjobs", "CronJob")],
    "networking.k8s.io/v1": [("ingresses", "Ingress"), ("networkpolicies", "NetworkPolicy")],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget")],
    "autoscaling/v2": [("horizontalpodautoscalers", "HorizontalPodAutoscaler")],
}


def _discovery(path: str, minor: int) -> dict[str, Any] | None:
    if path == "/version":
        return {"major": "1", "minor": str(minor), "gitVersion": f"v1.{minor}.0"}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
    if path == "/apis":
        groups = []
        for gv in RESOURCES:
            if "/" in gv:
                group, version = gv.split("/")
                entry = {"groupVersion": gv, "version": version}
                groups.append({"name": group, "versions": [entry], "preferredVersion": entry})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
    if path.startswith("/api/v1/namespaces/") and path.endswith("/secrets"):
        # Helm's release storage: no release installed yet (upgrade --install).
        return {"kind": "SecretList", "apiVersion": "v1", "metadata": {}, "items": []}
    gv = "v1" if path == "/api/v1" else path.removeprefix("/apis/")
    if gv not in RESOURCES:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": [
            {"name": name, "singularName": "", "namespaced": True, "kind": kind, "verbs": ["get"]}
            for name, kind in RESOURCES[gv]
        ],
    }


@contextmanager
def fake_apiserver(folder: Path, *, minor: int = 30) -> Iterator[Path]:
    """Serve discovery on a free port; yield a kubeconfig file that points at it."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = _discovery(self.path.split("?")[0], minor)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = folder / "kubeconfig"
    url = f"http://127.0.0.1:{server.server_address[1]}"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: fake, cluster: {{server: '{url}'}}}}]\n"
        "contexts: [{name: fake, context: {cluster: fake, user: fake}}]\n"
        "current-context: fake\nusers: [{name: fake, user: {}}]\n",
        encoding="utf-8",
    )
    try:
        yield kubeconfig
    finally:
        server.shutdown()
        server.server_close()
