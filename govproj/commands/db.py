"""`govproj db`: create the database and roles, run migrations (as the owner role)."""

from __future__ import annotations

import typer

from libs.common.db.bootstrap import bootstrap_database
from libs.common.db.migrations import is_up_to_date, upgrade
from libs.common.settings import SERVICES, CommonSettings

app = typer.Typer(no_args_is_help=True)


@app.command("bootstrap")
def bootstrap(
    admin_url: str = typer.Option(
        ..., help="超级用户连接串，如 postgresql://postgres@127.0.0.1:5432/postgres"
    ),
    database: str = typer.Option("govproj", help="数据库名"),
) -> None:
    """创建数据库及 owner / app / relay 三个角色（幂等）。"""
    bootstrap_database(admin_url, database)
    typer.echo(f"database {database} ready")


@app.command("upgrade")
def upgrade_cmd(services: list[str] = typer.Argument(None, help="默认全部服务")) -> None:
    """把各服务的 schema 迁移到最新版本。"""
    settings = CommonSettings()
    for service in services or list(SERVICES):
        upgrade(service, settings.migration_database_url)
        typer.echo(f"{service}: at head")


@app.command("check")
def check(services: list[str] = typer.Argument(None, help="默认全部服务")) -> None:
    """检查各服务的 schema 是否为最新（否则退出码 1）。"""
    settings = CommonSettings()
    stale = [
        s
        for s in services or list(SERVICES)
        if not is_up_to_date(s, settings.migration_database_url)
    ]
    for s in stale:
        typer.echo(f"{s}: behind head", err=True)
    raise typer.Exit(1 if stale else 0)
