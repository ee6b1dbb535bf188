"""`govproj keycloak provision`: realm roles and tenant groups from the registry's tree."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("provision")
def provision_cmd(
    server_url: str = typer.Option(
        ..., envvar="GOVPROJ_KEYCLOAK_URL", help="Keycloak 根地址，如 https://iam.gd.gov.cn/"
    ),
    realm: str = typer.Option("govproj", envvar="GOVPROJ_KEYCLOAK_REALM", help="realm 名称"),
    client_id: str = typer.Option(
        "govproj-provisioner",
        envvar="GOVPROJ_KEYCLOAK_CLIENT_ID",
        help="有 realm-management 权限的服务账号客户端（deploy/keycloak/realm.json）",
    ),
    client_secret: str | None = typer.Option(
        None, envvar="GOVPROJ_KEYCLOAK_CLIENT_SECRET", help="该客户端的密钥（只从环境变量读取为宜）"
    ),
    admin_user: str | None = typer.Option(
        None, envvar="GOVPROJ_KEYCLOAK_ADMIN_USER", help="或：master realm 管理员（首次安装）"
    ),
    admin_password: str | None = typer.Option(
        None, envvar="GOVPROJ_KEYCLOAK_ADMIN_PASSWORD", help="管理员密码"
    ),
    tenants_file: Path | None = typer.Option(
        None,
        "--tenants-file",
        exists=True,
        dir_okay=False,
        help="租户树 JSON（GET /v1/tenants 的结果）",
    ),
    registry_url: str | None = typer.Option(
        None, envvar="GOVPROJ_REGISTRY_URL", help="或：registry 服务地址，从 /v1/tenants 读取"
    ),
    registry_token: str | None = typer.Option(
        None, envvar="GOVPROJ_REGISTRY_TOKEN", help="platform_admin 的访问令牌"
    ),
    verify_tls: bool = typer.Option(True, "--verify-tls/--no-verify-tls"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只报告将做的改动"),
) -> None:
    """按租户树创建或更新 Keycloak 的角色与组（幂等，从不删除）。"""
    from keycloak import KeycloakAdmin

    from govproj.keycloak import fetch_tenants, load_tenants_file, provision

    if tenants_file is not None:
        tenants = load_tenants_file(tenants_file)
    elif registry_url and registry_token:
        tenants = fetch_tenants(registry_url, registry_token)
    else:
        raise typer.BadParameter("需要 --tenants-file，或 --registry-url 与 GOVPROJ_REGISTRY_TOKEN")

    # An administrator signs in to the master realm; a service account to the realm itself.
    credentials: dict[str, str]
    if admin_user and admin_password:
        credentials = {
            "username": admin_user,
            "password": admin_password,
            "user_realm_name": "master",
        }
    elif client_secret:
        credentials = {"client_id": client_id, "client_secret_key": client_secret}
    else:
        raise typer.BadParameter("需要 GOVPROJ_KEYCLOAK_CLIENT_SECRET，或管理员用户与密码")
    admin = KeycloakAdmin(server_url=server_url, realm_name=realm, verify=verify_tls, **credentials)

    report = provision(admin, tenants, dry_run=dry_run)
    typer.echo(("(dry run) " if dry_run else "") + report.summary())
