"""The registry's route dependencies, named by the permission they grant (ADR 0008).

Each writing route takes one of these and then checks its object with
``access.check(Scope...)``; reading routes take :data:`Reader` and
``access.check_read``. ``Idem`` gives a POST its ``Idempotency-Key``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from libs.common.auth import Access, permit
from libs.common.idempotency import IdempotencyGuard, idempotency_guard
from libs.common.routes import BureauDecider, Reader
from services.registry.models import idempotency_keys

__all__ = [
    "BureauDecider",
    "CatalogWriter",
    "Idem",
    "NotificationReader",
    "OversightReader",
    "PlanWriter",
    "PlatformAdmin",
    "ProjectWriter",
    "Reader",
    "TrailReader",
    "UnitRegistrar",
]

#: ``Idempotency-Key`` on every registry POST: a replay returns the first response.
Idem = Annotated[IdempotencyGuard, Depends(idempotency_guard(idempotency_keys))]
#: A project's whole event trail: the auditor, the bureau, the overseeing city (ADR 0011).
TrailReader = Annotated[Access, Depends(permit("trail.read"))]
#: One's own 消息中心 (the query keeps to what is addressed to the caller).
NotificationReader = Annotated[Access, Depends(permit("notification.read"))]
#: The overseer's summary of its child jurisdictions.
OversightReader = Annotated[Access, Depends(permit("oversight.read"))]
#: Create, edit and submit projects: a unit for itself, the bureau for any unit.
ProjectWriter = Annotated[Access, Depends(permit("project.write"))]
#: Maintain the 政务信息系统目录 (same split as projects).
CatalogWriter = Annotated[Access, Depends(permit("catalog.write"))]
#: Submit annual demand (same split as projects).
PlanWriter = Annotated[Access, Depends(permit("plan.write"))]
#: Register 建设单位 in the caller's jurisdiction.
UnitRegistrar = Annotated[Access, Depends(permit("unit.register"))]
#: Platform administration: the tenant tree.
PlatformAdmin = Annotated[Access, Depends(permit("platform.admin"))]
