"""`govproj events`: operator jobs on the event tables (run as the owner role)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import timedelta

import typer

from libs.common.db import create_engine
from libs.common.events._prune import PruneResult, PruneSettings, prune_outbox
from libs.common.settings import SERVICES, CommonSettings

app = typer.Typer(no_args_is_help=True)


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
