"""What `govproj serve` and `govproj work` share: the service check and the uvicorn run."""

from __future__ import annotations

from typing import Any

import typer
import uvicorn

from libs.common.settings import SERVICES, ServiceSettings

__all__ = ["check_service", "run"]


def check_service(service: str) -> None:
    """Refuse a service name the platform does not have, naming the ones it has."""
    if service not in SERVICES:
        raise typer.BadParameter(f"未知服务 {service}，可选：{', '.join(SERVICES)}")


def run(
    application: Any,
    settings: ServiceSettings,
    *,
    host: str | None,
    port: int | None,
    graceful_seconds: int,
) -> None:
    """Serve ``application`` on the given address, else the one its settings name.

    ``log_config=None`` keeps the logging the service configured for itself
    (libs/common/telemetry.py's JSON lines), which uvicorn's default config would replace.
    """
    uvicorn.run(
        application,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=graceful_seconds,
    )
