"""The budget service's routes (all under ``/v1``): each aggregate's router, mounted here.

=========================================  ==========================  =====================
route                                       file                        action (ADR 0008)
=========================================  ==========================  =====================
POST/GET ``/projects/{id}/lines``           lines/api.py                budget.write / read
POST ``/projects/{id}/adjustments``         lines/api.py                budget.write
POST/GET ``/projects/{id}/procurement``     procurement/api.py          implementation.write
POST/GET ``/projects/{id}/contracts``       procurement/api.py          implementation.write
POST/GET ``/projects/{id}/disbursements``   usage/api.py                budget.write / read
POST ``/projects/{id}/usage-reports``       usage/api.py                budget.write
POST ``/projects/{id}/surplus-returns``     usage/api.py                budget.write
GET ``/projects/{id}/budget``               finance/api.py              read
POST ``/projects/{id}/arrangements``        finance/api.py              budget.arrange
GET ``/budgets?status=&cursor=&limit=``     finance/api.py              read
GET ``/arrangements?year=YYYY``             finance/api.py              read
=========================================  ==========================  =====================

docs/budget.md explains each; every POST takes ``Idempotency-Key``.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.budget.finance.api import router as finance_router
from services.budget.lines.api import router as lines_router
from services.budget.procurement.api import router as procurement_router
from services.budget.usage.api import router as usage_router

router = APIRouter()
router.include_router(procurement_router)
router.include_router(lines_router)
router.include_router(usage_router)
router.include_router(finance_router)
