"""`govproj work SERVICE`: run one service's outbox relay and event consumers, no API.

Production runs the API (`govproj serve SERVICE --no-workers`) and the workers
as separate Deployments of the same image (ADR 0001 "Processes", ADR 0006), so
the API scales with requests and the workers with the event backlog. The
worker answers only `/healthz` and `/readyz` (for the probes) on its port.
"""

from __future__ import annotations

import importlib

import typer

from govproj.commands._uvicorn import check_service, run
from libs.common.service import create_service_app
from libs.common.settings import service_settings


def command(
    service: str = typer.Argument(..., help="registry | approval | budget | acceptance | archive"),
    host: str | None = typer.Option(None, help="健康检查监听地址（默认取设置）"),
    port: int | None = typer.Option(None, help="健康检查端口（默认取设置）"),
) -> None:
    """只运行一个服务的 outbox 转发与事件消费（不提供 API，仅 /healthz 与 /readyz）。"""
    check_service(service)
    settings = service_settings(service)
    spec = importlib.import_module(f"services.{service}.app").SPEC
    application = create_service_app(spec, settings, run_workers=True, serve_api=False)
    # The relay and the consumer finish their batch and ack before exiting.
    run(application, settings, host=host, port=port, graceful_seconds=10)
