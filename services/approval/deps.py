"""Dependencies the approval routes share: who may act (ADR 0008) and Idempotency-Key.

Each name says the permission it grants (``libs.common.auth.permit``); a route
takes one, loads its object and calls ``Access.check(Scope)``. Every POST
takes :data:`Idem` and answers through :func:`once`, so that a retried request
(a change request that would count twice against the 15% limit, an opinion
that would decide twice) replays its first answer and writes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from libs.common.auth import Access, permit
from libs.common.idempotency import IdempotencyGuard, idempotency_guard
from services.approval.models import idempotency_keys

__all__ = [
    "Acknowledge",
    "Decide",
    "Idem",
    "Opine",
    "Read",
    "StepWork",
    "WriteChanges",
    "once",
]

#: Read what the caller's jurisdiction (and, for an overseer, its counties) holds.
Read = Annotated[Access, Depends(permit("read"))]
#: Act on a step of the review; the step's own role is checked once it is loaded.
StepWork = Annotated[Access, Depends(permit("workflow.step"))]
#: The bureau's own decisions (naming the experts of an expert review).
Decide = Annotated[Access, Depends(permit("bureau.decide"))]
#: An expert's opinion on a review they are named in.
Opine = Annotated[Access, Depends(permit("expert.opine"))]
#: A unit's change request for its own project (the bureau for any unit).
WriteChanges = Annotated[Access, Depends(permit("change.write"))]
#: The city acknowledging a result its county reported up.
Acknowledge = Annotated[Access, Depends(permit("oversight.acknowledge"))]

#: ``Idempotency-Key`` (declared in the route's OpenAPI by the guard itself).
Idem = Annotated[IdempotencyGuard, Depends(idempotency_guard(idempotency_keys))]


async def once(
    idem: IdempotencyGuard, status: int, produce: Callable[[], Awaitable[BaseModel]]
) -> BaseModel | JSONResponse:
    """Run ``produce`` unless the key was used before; store its answer with the effect."""
    if (replay := await idem.claim()) is not None:
        return replay
    body = await produce()
    if idem.row is not None:  # without a key there is nothing to store: no dump to make
        await idem.save(status, body.model_dump(mode="json"))
    return body
