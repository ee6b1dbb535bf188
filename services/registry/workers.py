"""Periodic work of the registry: sending the 消息中心's queued messages (libs/common/periodic)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from libs.common.periodic import start_periodic
from services.registry.notifications.channels import configured
from services.registry.notifications.delivery import deliver

__all__ = ["DELIVERY_SECONDS", "start_delivery"]

#: How often queued e-mail goes out (a failed send waits one round before its retry).
DELIVERY_SECONDS = float(os.environ.get("GOVPROJ_NOTIFY_DELIVERY_SECONDS", "30"))


async def start_delivery(app: FastAPI) -> None:
    """Start-up hook: deliveries run where the workers run, and only with a channel on."""
    channels = configured()
    if not channels:
        return
    task = start_periodic(
        app,
        "registry-notification-delivery",
        DELIVERY_SECONDS,
        lambda: deliver(app.state.sessionmaker, channels),
    )
    if task is not None:
        app.state.notification_delivery = task
