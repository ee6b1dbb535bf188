"""The Helm chart: lints and renders with Helm's own SDK, validates against the
Kubernetes schemas, and every workload is hardened and probed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from libs.common.settings import SERVICES

from .conftest import CHART, ROOT, external_values, helm_python, render

kubernetes_validate = pytest.importorskip("kubernetes_validate")

# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest schemas bundled.
KUBE_VERSIONS = ("1.30.0", "1.37.0")
WORKLOAD_KINDS = {"Deployment", "Job", "StatefulSet", "DaemonSet"}


def _of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def _pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"])
        for d in docs
        if d["kind"] in WORKLOAD_KINDS
    ]


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


@pytest.mark.parametrize("values_name", ["default", "external"])
def test_chart_lints_without_errors(values_name: str) -> None:
    values = external_values() if values_name == "external" else None
    report = helm_python.lint(CHART, values, kube_version="v1.30.0")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_manifests_validate_against_kubernetes_schemas(manifests: list[dict[str, Any]]) -> None:
    assert manifests
    for doc in manifests:
        clean = {k: v for k, v in doc.items() if k != "_template"}
        if not clean["metadata"]["annotations"]:
            del clean["metadata"]["annotations"]
        for version in KUBE_VERSIONS:
            kubernetes_validate.validate(clean, version, strict=True)


def test_default_install_has_an_api_and_a_worker_per_service(
    default_manifests: list[dict[str, Any]],
) -> None:
    deployments = {d["metadata"]["name"]: d for d in _of_kind(default_manifests, "Deployment")}
    expected = {f"govproj-{s}" for s in SERVICES} | {f"govproj-{s}-worker" for s in SERVICES}
    assert set(deployments) == expected | {"govproj-portal"}
    for service in SERVICES:
        api = deployments[f"govproj-{service}"]["spec"]["template"]["spec"]["containers"][0]
        worker = deployments[f"govproj-{service}-worker"]["spec"]["template"]["spec"]["containers"][
            0
        ]
        assert api["args"][:3] == ["serve", service, "--no-workers"]
        assert worker["args"][:2] == ["work", service]
        # Only the relay needs the relay role; the API never gets it.
        assert "GOVPROJ_RELAY_DATABASE_URL" in _env(worker)
        assert "GOVPROJ_RELAY_DATABASE_URL" not in _env(api)
    services = {d["metadata"]["name"] for d in _of_kind(default_manifests, "Service")}
    assert services == {f"govproj-{s}" for s in SERVICES} | {"govproj-portal"}


def test_every_workload_is_non_root_read_only_without_capabilities(
    manifests: list[dict[str, Any]],
) -> None:
    pods = _pod_specs(manifests)
    assert any(name.startswith("Job/") for name, _ in pods)
    for name, pod in pods:
        psc = pod["securityContext"]
        assert psc["runAsNonRoot"] is True, name
        assert psc["runAsUser"] > 0, name
        assert psc["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"] + pod.get("initContainers", []):
            sc = container["securityContext"]
            where = f"{name}/{container['name']}"
            assert sc["runAsNonRoot"] is True, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in sc["capabilities"], where
            assert sc["seccompProfile"]["type"] == "RuntimeDefault", where
            assert container["resources"]["requests"], where
            assert container["resources"]["limits"]["memory"], where
            # The read-only root needs a writable /tmp.
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], where  # noqa: S108 - the pod's own emptyDir


def test_every_long_running_workload_is_probed_on_healthz_and_readyz(
    manifests: list[dict[str, Any]],
) -> None:
    deployments = _of_kind(manifests, "Deployment")
    assert deployments
    for d in deployments:
        for container in d["spec"]["template"]["spec"]["containers"]:
            where = f"{d['metadata']['name']}/{container['name']}"
            port_names = {p["name"] for p in container["ports"]}
            for probe, path in (
                ("startupProbe", "/healthz"),
                ("livenessProbe", "/healthz"),
                ("readinessProbe", "/readyz"),
            ):
                assert container[probe]["httpGet"]["path"] == path, where
                assert container[probe]["httpGet"]["port"] in port_names, where


def test_migrations_run_before_install_and_upgrade_as_the_owner(
    manifests: list[dict[str, Any]],
) -> None:
    (job,) = _of_kind(manifests, "Job")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["db", "upgrade"]
    owner = _env(container)["GOVPROJ_MIGRATION_DATABASE_URL"]
    assert owner["valueFrom"]["secretKeyRef"]["key"] == "owner-url"
    # A hook runs before the release's own objects exist: it may not need them.
    pod = job["spec"]["template"]["spec"]
    assert "serviceAccountName" not in pod
    assert "envFrom" not in container


def test_migrations_can_run_as_an_ordinary_job_with_bootstrap() -> None:
    docs = render(
        {
            "migrations": {"hook": False},
            "connections": {"database": {"bootstrap": {"enabled": True}}},
        }
    )
    (job,) = _of_kind(docs, "Job")
    assert "helm.sh/hook" not in job["metadata"]["annotations"]
    (init,) = job["spec"]["template"]["spec"]["initContainers"]
    assert "govproj db bootstrap" in init["args"][0]
    assert _env(init)["GOVPROJ_ADMIN_URL"]["valueFrom"]["secretKeyRef"]["key"] == "admin-url"


def test_secrets_are_only_referenced(manifests: list[dict[str, Any]]) -> None:
    assert _of_kind(manifests, "Secret") == []
    (env_map,) = [
        d for d in _of_kind(manifests, "ConfigMap") if d["metadata"]["name"].endswith("-env")
    ]
    for key in env_map["data"]:
        assert not key.endswith(("_DATABASE_URL", "_KEY", "PASSWORD")), key
    for name, pod in _pod_specs(manifests):
        for container in pod["containers"] + pod.get("initContainers", []):
            for var in container.get("env", []):
                if var["name"].endswith(("DATABASE_URL", "ADMIN_URL", "ACCESS_KEY", "SECRET_KEY")):
                    assert "value" not in var and "secretKeyRef" in var["valueFrom"], (name, var)


def test_only_the_archive_gets_object_storage_credentials(
    default_manifests: list[dict[str, Any]],
) -> None:
    for name, pod in _pod_specs(default_manifests):
        env = _env(pod["containers"][0])
        holds = "GOVPROJ_S3_SECRET_KEY" in env
        assert holds == name.startswith("Deployment/govproj-archive"), name


def test_external_values_point_every_connection_outside(
    external_manifests: list[dict[str, Any]],
) -> None:
    (env_map,) = [
        d
        for d in _of_kind(external_manifests, "ConfigMap")
        if d["metadata"]["name"].endswith("-env")
    ]
    data = env_map["data"]
    assert data["GOVPROJ_OIDC_ISSUER"] == "https://iam.gd.gov.cn/realms/govproj"
    assert data["GOVPROJ_NATS_STREAM_REPLICAS"] == "3"
    assert data["GOVPROJ_S3_SECURE"] == "true"
    assert data["GOVPROJ_OTEL_EXPORTER_ENDPOINT"].endswith(":4317")
    assert data["GOVPROJ_POLICIES_DIR"] == "/etc/govproj/policies"
    assert "GOVPROJ_NATS_URL" not in data  # it carries a password: from the Secret
    deployments = {d["metadata"]["name"]: d for d in _of_kind(external_manifests, "Deployment")}
    api = deployments["govproj-registry"]["spec"]["template"]["spec"]["containers"][0]
    assert _env(api)["GOVPROJ_NATS_URL"]["valueFrom"]["secretKeyRef"]["name"] == "govproj-nats"
    assert "govproj-portal" in deployments
    mounts = {m["mountPath"] for m in api["volumeMounts"]}
    assert "/etc/govproj/policies/445322-yunan" in mounts


def test_autoscalers_and_disruption_budgets_target_real_deployments(
    manifests: list[dict[str, Any]],
) -> None:
    deployments = {d["metadata"]["name"]: d for d in _of_kind(manifests, "Deployment")}
    hpas = _of_kind(manifests, "HorizontalPodAutoscaler")
    assert hpas
    for hpa in hpas:
        target = deployments[hpa["spec"]["scaleTargetRef"]["name"]]
        # The HPA owns the replica count; the Deployment must not fight it.
        assert "replicas" not in target["spec"]
        assert hpa["spec"]["minReplicas"] >= 1
    pdbs = _of_kind(manifests, "PodDisruptionBudget")
    assert len(pdbs) == len(deployments)
    for pdb in pdbs:
        selector = pdb["spec"]["selector"]["matchLabels"]
        matched = [
            n
            for n, d in deployments.items()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matched) == 1, (pdb["metadata"]["name"], matched)


def test_network_policies_deny_by_default_and_open_only_the_apis(
    manifests: list[dict[str, Any]],
) -> None:
    policies = {d["metadata"]["name"]: d for d in _of_kind(manifests, "NetworkPolicy")}
    default = policies["govproj-default"]["spec"]
    assert default["policyTypes"] == ["Ingress", "Egress"]
    assert default["ingress"] == []
    assert {"port": 53, "protocol": "UDP"} in default["egress"][0]["ports"]
    api = policies["govproj-api"]["spec"]
    roles = next(
        e for e in api["podSelector"]["matchExpressions"] if e["key"] == "govproj.gov.cn/role"
    )
    # Workers and the migration Job take no traffic.
    assert set(roles["values"]) == {"api", "portal"}


def test_policy_packs_become_config_maps_mounted_per_folder() -> None:
    folder = ROOT / "policies" / "445322-yunan"
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()) if p.is_file()}
    docs = render({"policies": {"packs": {"445322-yunan": files}}})
    (pack,) = [
        d
        for d in _of_kind(docs, "ConfigMap")
        if d["metadata"]["name"] == "govproj-policy-445322-yunan"
    ]
    assert pack["data"] == files  # byte for byte: the decision records the pack's hash
    assert pack["metadata"]["labels"]["govproj.gov.cn/tenant"] == "445322"
    api = next(
        d for d in _of_kind(docs, "Deployment") if d["metadata"]["name"] == "govproj-approval"
    )
    pod = api["spec"]["template"]["spec"]
    volume = next(
        v
        for v in pod["volumes"]
        if v.get("configMap", {}).get("name") == "govproj-policy-445322-yunan"
    )
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == volume["name"])
    assert mount["mountPath"] == "/etc/govproj/policies/445322-yunan"
    assert mount["readOnly"] is True


def test_the_portal_runs_the_console_and_can_be_left_out(
    default_manifests: list[dict[str, Any]],
) -> None:
    (portal,) = [
        d
        for d in _of_kind(default_manifests, "Deployment")
        if d["metadata"]["name"] == "govproj-portal"
    ]
    container = portal["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "services.portal"]
    env = _env(container)
    assert env["GOVPROJ_PORTAL_REGISTRY_URL"]["value"] == "http://govproj-registry:80"
    assert env["GOVPROJ_PORTAL_HOST"]["value"] == "0.0.0.0"  # noqa: S104 - inside its pod
    assert env["GOVPROJ_PORTAL_PORT"]["value"] == "8080"
    assert env["GOVPROJ_PORTAL_COOKIE_SECURE"]["value"] == "true"
    # The cookie-signing secret comes from a Secret, never the values.
    assert (
        env["GOVPROJ_PORTAL_SESSION_SECRET"]["valueFrom"]["secretKeyRef"]["name"]
        == "govproj-portal"
    )
    docs = render({"portal": {"enabled": False}})
    assert not [d for d in docs if "portal" in d["metadata"]["name"]]


def test_a_service_can_be_switched_off() -> None:
    docs = render(
        {"services": {"archive": {"enabled": False}, "budget": {"workers": {"enabled": False}}}}
    )
    names = {d["metadata"]["name"] for d in docs}
    assert not {n for n in names if n.startswith("govproj-archive")}
    assert "govproj-budget" in names and "govproj-budget-worker" not in names


@pytest.mark.parametrize(
    ("values", "where"),
    [
        ({"containerSecurityContext": {"readOnlyRootFilesystem": False}}, "readOnlyRootFilesystem"),
        ({"podSecurityContext": {"runAsNonRoot": False}}, "runAsNonRoot"),
        (
            {"containerSecurityContext": {"capabilities": {"drop": [], "add": ["NET_ADMIN"]}}},
            "capabilities",
        ),
        ({"services": {"registri": {}}}, "registri"),
        ({"serviceDefaults": {"api": {"replicas": "two"}}}, "replicas"),
        ({"connections": {"nats": {"streamReplicas": 2}}}, "streamReplicas"),
        ({"connections": {"nats": {"headerEncoding": "raw"}}}, "headerEncoding"),
        ({"policies": {"packs": {"yunan": {"a.yaml": "x"}}}}, "yunan"),
        ({"connections": {"database": {"password": "secret"}}}, "password"),
    ],
)
def test_values_schema_refuses_unsafe_or_misspelt_values(
    values: dict[str, Any], where: str
) -> None:
    with helm_python.Chart.load(CHART) as chart, pytest.raises(helm_python.HelmError) as caught:
        chart.validate_schema(chart.merge_values(copy.deepcopy(values)))
    assert where in str(caught.value)


def test_the_event_header_encoding_is_the_binding_unless_a_roll_from_0_1_0_asks_legacy(
    default_manifests: list[dict[str, Any]],
) -> None:
    def env_and_checksums(docs: list[dict[str, Any]]) -> tuple[str, dict[str, str]]:
        (env_map,) = [
            d for d in _of_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-env")
        ]
        checksums = {
            d["metadata"]["name"]: d["spec"]["template"]["metadata"]["annotations"]["checksum/env"]
            for d in _of_kind(docs, "Deployment")
        }
        return env_map["data"]["GOVPROJ_EVENTS_HEADER_ENCODING"], checksums

    default, before = env_and_checksums(default_manifests)
    legacy, during = env_and_checksums(
        render({"connections": {"nats": {"headerEncoding": "legacy"}}}, upgrade=True)
    )
    assert (default, legacy) == ("percent", "legacy")
    # Switching back after the roll changes every pod template, so every pod rolls again.
    assert all(before[name] != during[name] for name in before), (before, during)


def test_upgrade_renders_the_same_objects(default_manifests: list[dict[str, Any]]) -> None:
    upgraded = render(upgrade=True)
    assert [(d["kind"], d["metadata"]["name"]) for d in upgraded] == [
        (d["kind"], d["metadata"]["name"]) for d in default_manifests
    ]


def test_external_values_file_is_documented() -> None:
    text = Path(ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "values-external.yaml" in text


def test_each_service_connects_to_nats_as_its_own_user() -> None:
    """Issue 16: a service's NATS user may publish only its own events (deploy/nats)."""
    manifests = render({"connections": {"nats": {"usersSecret": "govproj-nats-users"}}})
    seen = set()
    for d in _of_kind(manifests, "Deployment"):
        name = d["metadata"]["name"]
        service = d["spec"]["template"]["metadata"]["labels"].get("govproj.gov.cn/service")
        if service is None:  # the portal publishes nothing
            continue
        env = _env(d["spec"]["template"]["spec"]["containers"][0])
        assert env["GOVPROJ_NATS_USER"]["value"] == service, name
        ref = env["GOVPROJ_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "govproj-nats-users", "key": service}, name
        seen.add(service)
    assert seen == {"registry", "approval", "budget", "acceptance", "archive"}
