"""`govproj dev`: the embedded default (up, down, token, issuer)."""

from __future__ import annotations

import signal
import sys
import time

import typer

from govproj.dev.stack import DevSettings, Stack, _alive
from libs.common.auth import ROLES

app = typer.Typer(no_args_is_help=True)


@app.command("up")
def up(detach: bool = typer.Option(False, "--detach", help="全部就绪后返回，进程留在后台")) -> None:
    """启动嵌入式环境：PostgreSQL、NATS、签发者、五个服务和门户（端口 8100），并载入演示数据。"""
    stack = Stack(DevSettings())
    try:
        pids = stack.up()
    except Exception as exc:
        typer.echo(f"启动失败：{exc}", err=True)
        stack.down()
        raise typer.Exit(1) from exc
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


@app.command("down")
def down() -> None:
    """停止以 --detach 启动的环境。"""
    Stack(DevSettings()).down()
    typer.echo("已停止。", err=True)


@app.command("token")
def token(
    tenant: str = typer.Option(..., help="行政区划代码，如 445322"),
    role: list[str] = typer.Option(..., help=f"角色：{', '.join(sorted(ROLES))}"),
    user: str | None = typer.Option(None, help="用户标识"),
) -> None:
    """从开发签发者打印一个访问令牌。"""
    try:
        typer.echo(Stack(DevSettings()).token(tenant, role, user))
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
