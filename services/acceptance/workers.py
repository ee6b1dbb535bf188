"""Periodic work of the acceptance service: the deadline sweep (libs/common/periodic)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from libs.common.periodic import start_periodic
from services.acceptance.deadlines.sweep import sweep

__all__ = ["SWEEP_SECONDS", "start_sweeper"]

#: How often the worker sweeps every tenant's deadlines (seconds; reminders are per day,
#: so an hour is plenty and a restart never loses more than one round).
SWEEP_SECONDS = float(os.environ.get("GOVPROJ_ACCEPTANCE_SWEEP_SECONDS", "3600"))


async def start_sweeper(app: FastAPI) -> None:
    """Start-up hook: the sweep runs where the workers run (``govproj work``, or serve with workers)."""
    task = start_periodic(
        app,
        "acceptance-deadline-sweep",
        SWEEP_SECONDS,
        lambda: sweep(app.state.sessionmaker),
    )
    if task is not None:
        app.state.deadline_sweeper = task
