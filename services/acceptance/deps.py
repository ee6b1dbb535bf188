"""What the acceptance routes share: role guards, Idempotency-Key, row rendering."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import Depends

from libs.common.auth import AuthSubject, require_roles
from libs.common.http import problem_responses
from libs.common.idempotency import IdempotencyGuard, idempotency_guard
from services.acceptance.models import Deadline, idempotency_keys

PROBLEMS = problem_responses()
Idem = Annotated[IdempotencyGuard, Depends(idempotency_guard(idempotency_keys))]
Unit = Annotated[AuthSubject, Depends(require_roles("unit_officer", "bureau_officer"))]
Bureau = Annotated[AuthSubject, Depends(require_roles("bureau_officer"))]
Authorities = Annotated[AuthSubject, Depends(require_roles("bureau_officer", "finance_officer"))]
Sweeper = Annotated[
    AuthSubject, Depends(require_roles("bureau_officer", "overseer", "platform_admin"))
]


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def row(obj: Any, *fields: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        v = getattr(obj, f)
        out[f] = (
            v.isoformat() if hasattr(v, "isoformat") else str(v) if isinstance(v, uuid.UUID) else v
        )
    return out


def deadline_dict(d: Deadline) -> dict[str, Any]:
    return row(
        d,
        "id",
        "tenant_id",
        "project_id",
        "submission",
        "code",
        "anchor",
        "anchor_on",
        "period",
        "month_day",
        "working_days",
        "due_on",
        "original_due_on",
        "calendar_known",
        "article",
        "explanation",
        "status",
        "met_on",
        "reminded_at",
        "overdue_at",
    )
