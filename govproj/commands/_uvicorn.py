"""What `govproj serve` and `govproj work` share: the service check and the uvicorn run."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from typing import Any

import typer
import uvicorn

from libs.common.settings import SERVICES, ServiceSettings

__all__ = ["check_service", "freeze_heap_after_startup", "run"]


def check_service(service: str) -> None:
    """Refuse a service name the platform does not have, naming the ones it has."""
    if service not in SERVICES:
        raise typer.BadParameter(f"未知服务 {service}，可选：{', '.join(SERVICES)}")


def freeze_heap_after_startup(application: Any) -> None:
    """Once the app's startup is done, move every object alive then out of the collector's sight.

    What a served process builds before it serves (modules, policy packs,
    engines, compiled statements: ~190k objects in the approval process) lives
    as long as the process, yet each full collection walked it all again: under
    a burst of submissions that was ~11 % of the approval process's CPU, ~3 %
    once frozen (bench/approval.py, docs/benchmarks.md "Approval"). Startup's own
    garbage is collected first, so nothing dead is kept. Only for a served
    process: an app started in-process (the tests) keeps the default collector.
    """
    startup = application.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        async with startup(app) as state:
            gc.collect()
            gc.freeze()
            yield state

    application.router.lifespan_context = lifespan


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
    freeze_heap_after_startup(application)
    uvicorn.run(
        application,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=graceful_seconds,
    )
