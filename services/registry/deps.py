"""Dependencies the registry's routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from libs.common.auth import AuthSubject, require_roles
from libs.common.idempotency import IdempotencyGuard, idempotency_guard
from services.registry.models import idempotency_keys

__all__ = ["Idem", "Writer"]

#: ``Idempotency-Key`` on the registry's POSTs.
Idem = Annotated[IdempotencyGuard, Depends(idempotency_guard(idempotency_keys))]
#: Who creates and changes projects and catalog entries in their own jurisdiction.
Writer = Annotated[AuthSubject, Depends(require_roles("unit_officer", "bureau_officer"))]
