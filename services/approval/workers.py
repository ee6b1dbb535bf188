"""Periodic work of the approval service (run where the workers run, libs/common/periodic).

- The expiry sweep: approvals past their validity before procurement started
  are announced once (郁南 第十二条第（二）项, :func:`services.approval.documents.service.sweep_expired`).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI

from libs.common.periodic import for_each_tenant, start_periodic
from services.approval.documents.service import sweep_expired
from services.approval.models import tenants

#: Seconds between two rounds of the expiry sweep (the check is by day; hourly catches up soon).
EXPIRY_INTERVAL_ENV = "GOVPROJ_APPROVAL_EXPIRY_INTERVAL"


async def start_expiry_sweep(app: FastAPI) -> None:
    interval = float(os.environ.get(EXPIRY_INTERVAL_ENV, "3600"))

    async def round_() -> dict[str, Any]:
        done = await for_each_tenant(app.state.sessionmaker, tenants, sweep_expired)
        return {code: n for code, n in done.items() if n}

    start_periodic(app, "approval-expiry-sweep", interval, round_)


STARTUP = (start_expiry_sweep,)
