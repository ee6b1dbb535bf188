"""`govproj serve SERVICE`: run one service's API (and, by default, its relay and consumers)."""

from __future__ import annotations

import importlib
import os

import typer

from govproj.commands._uvicorn import check_service, run
from libs.common.settings import service_settings


def command(
    service: str = typer.Argument(..., help="registry | approval | budget | acceptance | archive"),
    host: str | None = typer.Option(None, help="监听地址（默认取设置）"),
    port: int | None = typer.Option(None, help="端口（默认取设置）"),
    workers: bool = typer.Option(
        True, "--workers/--no-workers", help="是否在本进程内运行 outbox 转发与事件消费"
    ),
) -> None:
    """运行一个服务。"""
    check_service(service)
    settings = service_settings(service)
    if not workers:
        os.environ[f"GOVPROJ_{service.upper()}_RUN_WORKERS"] = "false"
        settings = service_settings(service)
    module = importlib.import_module(f"services.{service}.app")
    application = module.create_app(settings)
    run(application, settings, host=host, port=port, graceful_seconds=5)
