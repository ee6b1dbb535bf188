"""`govproj keycloak provision`: the realm's roles and tenant groups, idempotently.

Against the recorded admin REST calls of python-keycloak on a fake server
everywhere, and against a real Keycloak where a Docker engine answers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govproj.cli import app as cli
from govproj.dev.demo import DEMO_TENANTS
from govproj.keycloak import Tenant, plan, provision
from libs.common.auth._roles import ROLE_LABELS

from .fake_keycloak import FakeRealm, fake_keycloak

keycloak = pytest.importorskip("keycloak")

ROOT = Path(__file__).resolve().parents[2]
REALM_JSON = ROOT / "deploy" / "keycloak" / "realm.json"
TENANTS = [Tenant(code, name, level, parent) for code, name, level, parent in DEMO_TENANTS]
PARENTS = {t.parent_code for t in TENANTS if t.parent_code}
ROOTS = [t for t in TENANTS if t.parent_code is None]
# Per tenant: six roles, overseer where there are children, platform_admin at the roots.
ROLE_GROUPS = 6 * len(TENANTS) + len(PARENTS) + len(ROOTS)


def _admin(url: str) -> Any:
    return keycloak.KeycloakAdmin(
        server_url=url,
        client_id="govproj-provisioner",
        client_secret_key="s3cret",
        realm_name="govproj",
    )


def _kinds(realm: FakeRealm) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for method, path in realm.writes():
        if path.endswith("/roles"):
            kinds["create role"] += 1
        elif path.endswith("/role-mappings/realm"):
            kinds["map role"] += 1
        elif method == "POST" and (path.endswith("/groups") or path.endswith("/children")):
            kinds["create group"] += 1
        elif method == "PUT" and "/groups/" in path:
            kinds["update group"] += 1
        elif method == "PUT" and "/roles/" in path:
            kinds["update role"] += 1
        else:
            kinds[f"{method} {path}"] += 1
    return kinds


def test_plan_mirrors_the_tenant_tree_by_code() -> None:
    paths = {"/".join(s.path): s for s in plan(TENANTS)}
    county = paths["440000/445300/445322"]
    assert county.attributes["tenant"] == ["445322"]
    assert county.attributes["tenant_name"] == ["郁南县"]
    assert paths["440000/445300/445322/unit_officer"].realm_roles == ("unit_officer",)
    # ADR 0003: an overseer group for every parent tenant, none for a county.
    assert "440000/445300/overseer" in paths
    assert "440000/445300/445322/overseer" not in paths
    assert "440000/platform_admin" in paths
    assert "440000/445300/platform_admin" not in paths
    assert len(paths) == len(TENANTS) + ROLE_GROUPS


def test_first_run_creates_everything_with_the_expected_calls() -> None:
    with fake_keycloak() as (url, realm):
        report = provision(_admin(url), TENANTS)
        assert _kinds(realm) == {
            "create role": len(ROLE_LABELS),
            "create group": len(TENANTS) + ROLE_GROUPS,
            "map role": ROLE_GROUPS,
        }
        assert sorted(report.roles_created) == sorted(ROLE_LABELS)
        assert realm.roles["overseer"]["description"] == ROLE_LABELS["overseer"]
        by_path = {realm.path(gid): g for gid, g in realm.groups.items()}
        assert by_path["/440000/445300/445322"]["attributes"]["tenant"] == ["445322"]
        officer = by_path["/440000/445300/445322/bureau_officer"]
        assert realm.group_roles[officer["id"]] == ["bureau_officer"]


def test_second_run_makes_no_creating_or_updating_call() -> None:
    with fake_keycloak() as (url, realm):
        provision(_admin(url), TENANTS)
        realm.calls.clear()
        report = provision(_admin(url), TENANTS)
        assert realm.writes() == []
        assert not report.changed
        assert report.unknown_groups == []


def test_a_new_county_adds_only_its_groups() -> None:
    with fake_keycloak() as (url, realm):
        provision(_admin(url), TENANTS)
        realm.calls.clear()
        grown = [*TENANTS, Tenant("445321", "新兴县", "county", "445300")]
        report = provision(_admin(url), grown)
        assert _kinds(realm) == {"create group": 1 + 6, "map role": 6}
        assert report.groups_created[0] == "/440000/445300/445321"


def test_a_renamed_tenant_updates_its_group_and_keeps_other_attributes() -> None:
    with fake_keycloak() as (url, realm):
        provision(_admin(url), TENANTS)
        group = next(
            g for gid, g in realm.groups.items() if realm.path(gid) == "/440000/445300/445322"
        )
        group["attributes"]["contact"] = ["operator note"]
        realm.calls.clear()
        renamed = [
            t if t.code != "445322" else Tenant("445322", "郁南县（新）", "county", "445300")
            for t in TENANTS
        ]
        report = provision(_admin(url), renamed)
        assert _kinds(realm) == {"update group": 1}
        assert report.groups_updated == ["/440000/445300/445322"]
        assert group["attributes"]["tenant_name"] == ["郁南县（新）"]
        assert group["attributes"]["contact"] == ["operator note"]


def test_a_tenant_gone_from_the_tree_is_reported_not_deleted() -> None:
    with fake_keycloak() as (url, realm):
        provision(_admin(url), TENANTS)
        realm.calls.clear()
        shrunk = [t for t in TENANTS if t.code != "440804"]
        report = provision(_admin(url), shrunk)
        assert realm.writes() == []
        # 440800 has no county left, so its overseer group goes with it.
        assert report.unknown_groups == ["/440000/440800/440804", "/440000/440800/overseer"]


def test_dry_run_changes_nothing() -> None:
    with fake_keycloak() as (url, realm):
        report = provision(_admin(url), TENANTS, dry_run=True)
        assert realm.writes() == []
        assert len(report.groups_created) == len(TENANTS) + ROLE_GROUPS


def test_cli_provisions_from_a_tenants_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenants_file = tmp_path / "tenants.json"
    tenants_file.write_text(
        json.dumps(
            [{"code": c, "name": n, "level": lv, "parent_code": p} for c, n, lv, p in DEMO_TENANTS],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("GOVPROJ_KEYCLOAK_CLIENT_SECRET", "s3cret")
    runner = CliRunner()
    with fake_keycloak() as (url, realm):
        args = ["keycloak", "provision", "--server-url", url, "--tenants-file", str(tenants_file)]
        first = runner.invoke(cli, args)
        assert first.exit_code == 0, first.output
        assert f"groups created {len(TENANTS) + ROLE_GROUPS}" in first.output
        realm.calls.clear()
        second = runner.invoke(cli, args)
        assert second.exit_code == 0, second.output
        assert "groups created 0, updated 0" in second.output
        assert realm.writes() == []


def test_cli_refuses_a_tree_with_an_unknown_parent(tmp_path: Path) -> None:
    tenants_file = tmp_path / "tenants.json"
    tenants_file.write_text(
        json.dumps(
            [{"code": "445322", "name": "郁南县", "level": "county", "parent_code": "445300"}]
        )
    )
    result = CliRunner().invoke(
        cli,
        [
            "keycloak",
            "provision",
            "--server-url",
            "http://127.0.0.1:1/",
            "--tenants-file",
            str(tenants_file),
        ],
        env={"GOVPROJ_KEYCLOAK_CLIENT_SECRET": "x"},
    )
    assert result.exit_code != 0
    assert "445300" in str(result.exception)


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.slow
@pytest.mark.skipif(
    not _docker_answers(),
    reason="no Docker engine answers here: Keycloak cannot run (fake server tests above hold the calls)",
)
def test_against_a_real_keycloak() -> None:  # pragma: no cover - needs Docker
    from testcontainers.keycloak import KeycloakContainer

    with KeycloakContainer("quay.io/keycloak/keycloak:26.0") as kc:
        master = kc.get_client()
        text = REALM_JSON.read_text(encoding="utf-8")
        realm = json.loads(text.replace("${GOVPROJ_PORTAL_URL}", "http://localhost:8100"))
        master.create_realm(realm, skip_exists=True)
        admin = keycloak.KeycloakAdmin(
            server_url=kc.get_url(),
            username=kc.username,
            password=kc.password,
            realm_name="govproj",
            user_realm_name="master",
        )
        first = provision(admin, TENANTS)
        assert len(first.groups_created) == len(TENANTS) + ROLE_GROUPS
        second = provision(admin, TENANTS)
        assert not second.changed
        # A user in a county's role group gets the tenant claim, the role and the audience.
        group = admin.get_group_by_path("/440000/445300/445322/unit_officer")
        user_id = admin.create_user(
            {
                "username": "yunan-officer",
                "enabled": True,
                "credentials": [{"type": "password", "value": "pw-Test-1234", "temporary": False}],
            }
        )
        admin.group_user_add(user_id, group["id"])
        admin.update_client(
            admin.get_client_id("govproj-portal"), {"directAccessGrantsEnabled": True}
        )
        oidc = keycloak.KeycloakOpenID(
            server_url=kc.get_url(), realm_name="govproj", client_id="govproj-portal"
        )
        token = oidc.token("yunan-officer", "pw-Test-1234")
        claims = oidc.decode_token(token["access_token"], validate=False)
        assert claims["tenant"] == "445322"
        assert "unit_officer" in claims["realm_access"]["roles"]
        assert "govproj" in (claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]])


def test_realm_json_declares_roles_clients_and_mappers() -> None:
    realm = json.loads(REALM_JSON.read_text(encoding="utf-8"))
    roles = {r["name"]: r["description"] for r in realm["roles"]["realm"]}
    assert roles == dict(ROLE_LABELS)
    clients = {c["clientId"]: c for c in realm["clients"]}
    assert {
        f"govproj-{s}" for s in ("registry", "approval", "budget", "acceptance", "archive")
    } <= set(clients)
    portal = clients["govproj-portal"]
    assert portal["publicClient"] is True
    assert portal["attributes"]["pkce.code.challenge.method"] == "S256"
    assert portal["implicitFlowEnabled"] is False and portal["directAccessGrantsEnabled"] is False
    for client in [portal, *(clients[f"govproj-{s}"] for s in ("registry", "archive"))]:
        mappers = {m["name"]: m for m in client["protocolMappers"]}
        tenant = mappers["tenant"]["config"]
        assert tenant["user.attribute"] == "tenant" and tenant["claim.name"] == "tenant"
        assert tenant["access.token.claim"] == "true"
        audience = mappers["audience govproj"]
        assert audience["protocolMapper"] == "oidc-audience-mapper"
        assert audience["config"]["included.client.audience"] == "govproj"
    assert "govproj" in clients  # the audience itself
    assert "clientScopes" not in realm  # would replace Keycloak's built-in scopes on import
