"""Dependencies the approval routes share: who may act (ADR 0008) and Idempotency-Key.

Each name says the permission it grants (``libs.common.auth.permit``); a route
takes one, loads its object and calls ``Access.check(Scope)``. Every POST
takes :data:`Idem` and answers through :func:`libs.common.routes.once`, so that a retried request
(a change request that would count twice against the 15% limit, an opinion
that would decide twice) replays its first answer and writes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from libs.common.auth import Access, permit
from libs.common.idempotency import IdempotencyGuard, idempotency_guard
from libs.common.routes import BureauDecider, Reader
from services.approval.models import idempotency_keys

__all__ = [
    "Acknowledge",
    "BureauDecider",
    "Idem",
    "Opine",
    "Reader",
    "StepWork",
    "WriteChanges",
]

#: Act on a step of the review; the step's own role is checked once it is loaded.
StepWork = Annotated[Access, Depends(permit("workflow.step"))]
#: An expert's opinion on a review they are named in.
Opine = Annotated[Access, Depends(permit("expert.opine"))]
#: A unit's change request for its own project (the bureau for any unit).
WriteChanges = Annotated[Access, Depends(permit("change.write"))]
#: The city acknowledging a result its county reported up.
Acknowledge = Annotated[Access, Depends(permit("oversight.acknowledge"))]

#: ``Idempotency-Key`` (declared in the route's OpenAPI by the guard itself).
Idem = Annotated[IdempotencyGuard, Depends(idempotency_guard(idempotency_keys))]
