"""`govproj events`: the platform's event contracts (libs/contracts), and the
operator jobs on the event tables (``prune``, run as the owner role)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import typer

from libs.common.db import create_engine
from libs.common.events._prune import PruneResult, PruneSettings, prune_outbox
from libs.common.settings import SERVICES, CommonSettings

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


async def _prune_all(
    url: str, services: list[str], retention: timedelta, batch: int
) -> list[PruneResult]:
    engine = create_engine(url, pool_size=1)
    try:
        return [
            await prune_outbox(engine, schema=s, retention=retention, batch_size=batch)
            for s in services
        ]
    finally:
        await engine.dispose()


@app.command("prune")
def prune(
    services: list[str] = typer.Argument(None, help="默认全部服务"),
    retention_days: float = typer.Option(
        None, help="保留天数（默认 GOVPROJ_OUTBOX_RETENTION_DAYS，14）"
    ),
    batch: int = typer.Option(None, help="每个事务删除的行数（默认 GOVPROJ_OUTBOX_PRUNE_BATCH）"),
) -> None:
    """删除已发送（JetStream 已确认）且早于保留期的 outbox 行；未发送的行从不删除。"""
    settings = PruneSettings()
    days = settings.outbox_retention_days if retention_days is None else retention_days
    if days <= 0:
        raise typer.BadParameter("retention must be positive", param_hint="--retention-days")
    unknown = sorted(set(services or []) - set(SERVICES))
    if unknown:
        raise typer.BadParameter(f"unknown services: {', '.join(unknown)}")
    results = asyncio.run(
        _prune_all(
            CommonSettings().migration_database_url,
            services or list(SERVICES),
            timedelta(days=days),
            batch or settings.outbox_prune_batch,
        )
    )
    for result in results:
        typer.echo(json.dumps(asdict(result)))
