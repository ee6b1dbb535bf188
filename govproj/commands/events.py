"""`govproj events`: the platform's event contracts (libs/contracts)."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


def write_asyncapi(output: Path | None, check: bool) -> None:
    """Write docs/asyncapi.yaml from the contracts, or only check it is current."""
    from libs.contracts.asyncapi import DEFAULT_PATH, render

    path = output or DEFAULT_PATH
    text = render()
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            typer.echo(f"{path} is out of date: run `govproj events asyncapi`", err=True)
            raise typer.Exit(1)
        return
    path.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {path}")


@app.command("asyncapi")
def asyncapi(
    output: Path = typer.Option(None, help="输出文件（默认 docs/asyncapi.yaml）"),
    check: bool = typer.Option(False, help="只检查文件是否最新（否则退出码 1）"),
) -> None:
    """由事件契约（libs/contracts）生成全部平台事件的 AsyncAPI 文档。"""
    write_asyncapi(output, check)


@app.command("list")
def list_contracts() -> None:
    """列出全部事件类型：生产者、subject、标题。"""
    from libs.contracts import CONTRACTS

    for c in CONTRACTS:
        typer.echo(f"{c.type}\t{c.producer}\t{c.subject}\t{c.title}")
