"""`govproj dev`: the embedded default (up, down, token, issuer)."""

from __future__ import annotations

import signal
import sys
import time
import uuid

import httpx
import typer

from govproj.dev.seed import SeedReport
from govproj.dev.stack import DevSettings, Stack, _alive
from libs.common.auth import ROLES, UNIT_BOUND_ROLES

app = typer.Typer(no_args_is_help=True)


@app.command("up")
def up(
    detach: bool = typer.Option(False, "--detach", help="全部就绪后返回，进程留在后台"),
    seed: bool = typer.Option(False, "--seed", help="并载入各状态的演示项目（同 dev seed）"),
) -> None:
    """启动嵌入式环境：PostgreSQL、NATS、签发者、五个服务和门户（端口 8100），并载入演示数据。"""
    stack = Stack(DevSettings())
    try:
        pids = stack.up()
    except Exception as exc:
        typer.echo(f"启动失败：{exc}", err=True)
        stack.down()
        raise typer.Exit(1) from exc
    if seed:
        _report(stack.seed_projects())
    typer.echo(
        "GovProj 已就绪。令牌：govproj dev token --tenant 445322 --role unit_officer", err=True
    )
    if detach:
        return

    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    typer.echo("按 Ctrl-C 停止。", err=True)
    while not stopping:
        dead = [name for name, pid in pids.items() if not _alive(pid)]
        if dead:
            typer.echo(
                f"进程退出：{', '.join(dead)}（日志见 {stack.settings.home / 'logs'}）", err=True
            )
            break
        time.sleep(0.5)
    stack.down()
    typer.echo("已停止。", err=True)


def _report(report: SeedReport) -> None:
    for line in report.lines():
        typer.echo(line, err=True)


@app.command("seed")
def seed(
    tenant: list[str] = typer.Option([], help="只载入这些县区（行政区划代码），默认全部演示县区"),
    year: int | None = typer.Option(None, help="演示项目的计划年度，默认两年后"),
) -> None:
    """载入演示项目：每个演示县区每种生命周期状态一个，经各服务接口办理（可重复运行，不会重复）。"""
    stack = Stack(DevSettings())
    try:
        report = stack.seed_projects(tuple(tenant) or None, year)
    except httpx.HTTPError as exc:
        typer.echo(f"无法载入：服务未运行（先 govproj dev up）：{exc}", err=True)
        raise typer.Exit(1) from exc
    _report(report)


@app.command("down")
def down() -> None:
    """停止以 --detach 启动的环境。"""
    Stack(DevSettings()).down()
    typer.echo("已停止。", err=True)


@app.command("token")
def token(
    tenant: str = typer.Option(..., help="行政区划代码，如 445322"),
    role: list[str] = typer.Option(..., help=f"角色：{', '.join(sorted(ROLES))}"),
    user: str | None = typer.Option(None, help="用户标识（令牌的 sub），默认 <角色>@<辖区>"),
    unit: str | None = typer.Option(
        None, help="所属建设单位编号（UUID，令牌的 unit 声明）；项目管理专员须有它才能办理"
    ),
    name: str | None = typer.Option(None, help="显示名称（令牌的 name），默认按角色"),
) -> None:
    """从开发签发者打印一个访问令牌（与 Keycloak 签发的声明相同：tenant、roles、unit）。"""
    stack = Stack(DevSettings())
    if unit is not None:
        try:
            unit = str(uuid.UUID(unit))  # the registry's ids are canonical lower-case UUIDs
        except ValueError:
            typer.echo(f"无法签发：--unit {unit!r} 不是建设单位编号（UUID）", err=True)
            raise typer.Exit(2) from None
        try:
            found = stack.registry_unit(tenant, unit)
        except LookupError as exc:
            typer.echo(f"无法签发：{exc}", err=True)
            raise typer.Exit(2) from exc
        if found is None:
            typer.echo("提示：登记服务未运行，未核对建设单位是否存在", err=True)
    elif UNIT_BOUND_ROLES & set(role):
        typer.echo(
            "提示：令牌没有 unit 声明，项目管理专员只能查看，不能办理（docs/adr/0008）；"
            "用 --unit 指定所属建设单位",
            err=True,
        )
    try:
        typer.echo(stack.token(tenant, role, user, unit=unit, name=name))
    except ValueError as exc:
        typer.echo(f"无法签发：{exc}", err=True)
        raise typer.Exit(2) from exc


@app.command("issuer", hidden=True)
def issuer(
    port: int = typer.Option(8109),
    registry_url: str | None = typer.Option(
        None, envvar="GOVPROJ_DEV_ISSUER_REGISTRY_URL", help="登录页从此登记服务列出建设单位"
    ),
) -> None:
    """运行开发用 OIDC 签发者（dev up 会自动启动）。"""
    from govproj.dev.issuer import serve_issuer

    settings = DevSettings()
    serve_issuer(
        settings.home,
        "127.0.0.1",
        port,
        issuer_url=settings.issuer_url,
        registry_url=registry_url,
        log_level="warning",
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
