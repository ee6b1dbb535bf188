"""``Idempotency-Key`` for POSTs: the same key replays the first response, once.

architecture.md: "POSTs honour Idempotency-Key". A service adds the table to its
metadata (:func:`idempotency_table`, RLS in its migration with
``enable_tenant_rls(schema, "idempotency_keys")``) and a route takes the guard::

    Idem = Annotated[IdempotencyGuard, Depends(idempotency_guard(idempotency_keys))]

    async def create(..., idem: Idem):
        if (replay := await idem.claim()) is not None:
            return replay
        ...
        return await idem.save(201, body)

The claim INSERTs the key first, in the request's transaction. A concurrent
request with the same key blocks on that row until the first commits (then it
replays) or rolls back (then it runs). The row stores a hash of the method,
path and body: the same key with another request is 422, nothing runs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import CurrentSubject
from libs.common.db import TENANT_ID_LENGTH, cacheable_insert_of, parameters
from libs.common.errors import Problem
from libs.common.service import DbSession

__all__ = [
    "HEADER",
    "REPLAYED_HEADER",
    "IdempotencyGuard",
    "KeyRow",
    "idempotency_guard",
    "idempotency_table",
    "request_fingerprint",
]

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TABLE = "idempotency_keys"
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")


def idempotency_table(metadata: sa.MetaData) -> sa.Table:
    """The keys table of a service schema (tenant-owned: keys of two tenants never meet)."""
    return sa.Table(
        TABLE,
        metadata,
        sa.Column("tenant_id", sa.String(TENANT_ID_LENGTH), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("response", JSONB, nullable=True),
        sa.Column("location", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key", name="pk_idempotency_keys"),
    )


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 over the method, path and body (JSON canonicalised when it parses)."""
    try:
        canonical = json.dumps(
            json.loads(body or b"null"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:
        canonical = body
    h = hashlib.sha256()
    for part in (method.upper().encode(), b"\n", path.encode(), b"\n", canonical):
        h.update(part)
    return h.hexdigest()


def _claim_key(table: sa.Table) -> sa.Insert:
    # Compiled once per keys table (cacheable_insert_of): every POST with a key runs it.
    return (
        insert(table)
        .values(parameters("tenant_id", "key", "fingerprint", "created_at"))
        .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
        .returning(table.c.key)
    )


@dataclass(frozen=True, slots=True)
class KeyRow:
    """One tenant's row of one ``Idempotency-Key`` in a service's keys table.

    What a JSON POST (:class:`IdempotencyGuard`) and a streamed upload (the
    archive's ``UploadKey``) both do with it: claim it, find the answer stored
    before, store this request's answer.
    """

    table: sa.Table
    tenant: str
    key: str

    def selects(self) -> sa.ColumnElement[bool]:
        """The WHERE clause of this row."""
        return sa.and_(self.table.c.tenant_id == self.tenant, self.table.c.key == self.key)

    async def claim(
        self,
        session: AsyncSession,
        fingerprint: str,
        *,
        at: datetime | None = None,
        lock: bool = False,
    ) -> sa.RowMapping | None:
        """INSERT the row: ``None`` when this request is the key's first, else the row stored
        before (``lock``: FOR UPDATE). A concurrent first request holds the INSERT until it
        commits (then its row is returned) or rolls back (then this one is the first)."""
        t = self.table
        inserted = await session.scalar(
            cacheable_insert_of(t, _claim_key),
            {
                "tenant_id": self.tenant,
                "key": self.key,
                "fingerprint": fingerprint,
                "created_at": at or datetime.now(UTC),
            },
        )
        if inserted is not None:
            return None
        earlier = sa.select(t).where(self.selects())
        if lock:
            earlier = earlier.with_for_update()
        return (await session.execute(earlier)).mappings().one()

    async def answer(
        self,
        session: AsyncSession,
        status_code: int,
        body: Any,
        *,
        location: str | None,
        **more: Any,
    ) -> None:
        """Store the answer a retry replays, in the transaction of the request's effect."""
        await session.execute(
            sa.update(self.table)
            .where(self.selects())
            .values(
                status_code=status_code,
                response=jsonable_encoder(body),
                location=location,
                **more,
            )
        )


class IdempotencyGuard:
    """One request's use of its ``Idempotency-Key`` (a no-op when the header is absent)."""

    def __init__(
        self,
        session: AsyncSession,
        table: sa.Table,
        *,
        tenant: str,
        key: str | None,
        fingerprint: str | None,
    ) -> None:
        """``fingerprint``: of the request, needed (and computed) only with a ``key``."""
        self.session = session
        self.row = KeyRow(table, tenant, key) if key is not None else None
        self.fingerprint = fingerprint
        self._claimed = False

    async def claim(self) -> JSONResponse | None:
        """Reserve the key; return the stored response when it was used before."""
        if self.row is None or self.fingerprint is None:
            return None
        earlier = await self.row.claim(self.session, self.fingerprint)
        if earlier is None:
            self._claimed = True
            return None
        if earlier["fingerprint"] != self.fingerprint:
            raise Problem(
                422,
                "idempotency_key_reused",
                "幂等键已用于另一请求",
                f"{HEADER}: 该键已用于内容不同的请求，请换用新的键",
                extra={"field": HEADER},
            )
        headers = {REPLAYED_HEADER: "true"}
        if earlier["location"]:
            headers["Location"] = earlier["location"]
        return JSONResponse(
            earlier["response"], status_code=earlier["status_code"], headers=headers
        )

    async def save(self, status_code: int, body: Any, *, location: str | None = None) -> Any:
        """Store the response of a claimed key (same transaction as the effect); return ``body``."""
        if self._claimed and self.row is not None:
            await self.row.answer(self.session, status_code, body, location=location)
        return body


def idempotency_guard(
    table: sa.Table, *, fingerprint_body: bool = True
) -> Callable[..., Awaitable[IdempotencyGuard]]:
    """A FastAPI dependency building the guard for ``table`` in the request's transaction.

    The header is declared in the route's OpenAPI. ``fingerprint_body=False``
    is for streamed uploads, whose body must not be buffered to be hashed: the
    fingerprint then covers the method, the path and the upload's declared
    headers only.
    """

    async def guard(
        request: Request,
        session: DbSession,
        subject: CurrentSubject,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias=HEADER,
                description="幂等键：重试同一请求时带上相同的键，平台只执行一次并返回首次的结果",
                max_length=200,
            ),
        ] = None,
    ) -> IdempotencyGuard:
        key = idempotency_key
        if key is not None and not _KEY_RE.fullmatch(key):
            raise Problem.invalid(HEADER, "须为 1 到 200 个可见 ASCII 字符")
        fingerprint = None
        if key is not None:  # without a key nothing is compared: the body is not hashed
            if fingerprint_body:
                body = await request.body()
            else:
                body = "\n".join(
                    f"{h}: {request.headers.get(h, '')}" for h in ("content-type", "content-length")
                ).encode()
            fingerprint = request_fingerprint(request.method, request.url.path, body)
        return IdempotencyGuard(
            session, table, tenant=subject.tenant, key=key, fingerprint=fingerprint
        )

    return guard
