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

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from libs.common.auth import Access, CurrentSubject, permit
from libs.common.idempotency import HEADER, IdempotencyGuard, idempotency_guard
from libs.common.service import DbSession
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

_guard = idempotency_guard(idempotency_keys)


async def _idempotency(
    request: Request,
    session: DbSession,
    subject: CurrentSubject,
    # Declared here so that the OpenAPI document names the header on every POST.
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="幂等键：重试同一请求时带上相同的键，返回首次的结果，不会重复办理",
            max_length=200,
        ),
    ] = None,
) -> IdempotencyGuard:
    # The key must be passed on: the guard does not read the header itself here.
    return await _guard(request, session, subject, key)


Idem = Annotated[IdempotencyGuard, Depends(_idempotency)]


async def once(
    idem: IdempotencyGuard, status: int, produce: Callable[[], Awaitable[BaseModel]]
) -> BaseModel | JSONResponse:
    """Run ``produce`` unless the key was used before; store its answer with the effect."""
    if (replay := await idem.claim()) is not None:
        return replay
    body = await produce()
    await idem.save(status, body.model_dump(mode="json"))
    return body
