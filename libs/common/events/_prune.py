"""Outbox pruning: delete rows the relay has sent, once they are older than the retention.

A sent row (``sent_at`` set) has been published and acknowledged by JetStream
(the relay marks it only after the PubAck, see ``_relay.py``): the stream, the
consumers' inboxes and the AUDIT stream hold the event from then on, so the
outbox row is only history. An unsent row is the one durable copy of an event
and is never touched here, whatever its age: the predicate is
``sent_at IS NOT NULL`` in the statement that deletes, not only in the one that
selects, and a row locked by a relay's claim (``FOR UPDATE SKIP LOCKED``) is
skipped rather than waited for.

Runs as the schema owner (``govproj events prune``, or the periodic worker
round when ``GOVPROJ_OUTBOX_PRUNE_DATABASE_URL`` is set): the application role
may not delete outbox rows and the relay role may only read and mark them
(``event_tables_rls_statements``), and neither should gain that right for the
sake of housekeeping. The owner is bound by the tenant policies too (FORCE ROW
LEVEL SECURITY), so the job works tenant by tenant, each batch in that tenant's
context (``app.tenant_id``), like every other write; a row whose tenant the
service's ``tenants`` replica does not know is kept, the safe direction.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.common.events._outbox import _check_schema, schema_sql

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["PruneResult", "PruneSettings", "prune_outbox", "start_outbox_pruning"]

log = logging.getLogger("govproj.events.prune")


class PruneSettings(BaseSettings):
    """``GOVPROJ_OUTBOX_*``: how long sent rows stay, and how the job deletes them."""

    model_config = SettingsConfigDict(env_prefix="GOVPROJ_", extra="ignore")

    # Two weeks: long enough to answer "was this event published, and when?"
    # from the database during an incident review; the streams keep longer.
    outbox_retention_days: float = Field(default=14.0, gt=0)
    # Rows per DELETE transaction: short transactions keep the relay's claims
    # and the autovacuum unblocked however large the backlog.
    outbox_prune_batch: int = Field(default=1000, gt=0)
    # Seconds between worker rounds (0 disables the round).
    outbox_prune_interval: float = Field(default=3600.0, ge=0)
    # The owner's URL for the worker round; unset, only the CLI prunes (it uses
    # the migration URL), because workers normally hold no owner credentials.
    outbox_prune_database_url: str | None = None


@dataclass(frozen=True)
class PruneResult:
    """What one run did in one schema."""

    schema: str
    deleted: int
    batches: int
    # Unsent rows at the end (never deleted; reported so an operator sees a stuck relay).
    unsent: int
    # Sent rows younger than the retention, kept.
    kept_sent: int


_DELETE_BATCH = (
    "WITH doomed AS ("
    " SELECT id FROM {schema}.outbox"
    " WHERE tenant_id = :tenant AND sent_at IS NOT NULL"
    " AND sent_at < now() - make_interval(secs => :secs)"
    " ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED)"
    # sent_at is checked again on the row being deleted: the rule that an unsent row
    # survives must not rest on the sub-select alone.
    " DELETE FROM {schema}.outbox o USING doomed"
    " WHERE o.id = doomed.id AND o.sent_at IS NOT NULL"
)
_COUNT = (
    "SELECT count(*) FILTER (WHERE sent_at IS NULL) AS unsent,"
    " count(*) FILTER (WHERE sent_at IS NOT NULL) AS kept_sent FROM {schema}.outbox"
)
_CONTEXT = text(
    "SELECT set_config('app.tenant_id', :tenant, true), "
    "set_config('app.visible_tenants', :visible, true)"
)


async def prune_outbox(
    engine: AsyncEngine,
    *,
    schema: str,
    retention: timedelta,
    batch_size: int = 1000,
    max_batches: int | None = None,
) -> PruneResult:
    """Delete ``schema``'s outbox rows sent more than ``retention`` ago, ``batch_size`` at a time.

    ``engine`` must connect as the schema's owner. Tenant by tenant, each batch
    commits on its own; a tenant is done at its first batch that deletes fewer
    than ``batch_size`` rows. ``max_batches`` bounds the whole run.
    """
    _check_schema(schema)
    if retention <= timedelta(0):
        raise ValueError("retention must be positive: rows sent a moment ago stay")
    delete = schema_sql(_DELETE_BATCH, schema)
    async with engine.begin() as conn:
        codes = sorted(
            str(c)
            for c in (await conn.scalars(schema_sql("SELECT code FROM {schema}.tenants", schema)))
        )
    deleted = batches = 0
    for code in codes:
        while max_batches is None or batches < max_batches:
            async with engine.begin() as conn:
                await conn.execute(_CONTEXT, {"tenant": code, "visible": code})
                params = {"tenant": code, "secs": retention.total_seconds(), "n": batch_size}
                n = (await conn.execute(delete, params)).rowcount
            batches += 1
            deleted += n
            if n < batch_size:
                break
    async with engine.begin() as conn:
        # Read-only: every known tenant visible, so the counts cover the whole schema.
        await conn.execute(_CONTEXT, {"tenant": "", "visible": ",".join(codes)})
        row = (await conn.execute(schema_sql(_COUNT, schema))).one()
    return PruneResult(
        schema=schema,
        deleted=deleted,
        batches=batches,
        unsent=int(row.unsent),
        kept_sent=int(row.kept_sent),
    )


def start_outbox_pruning(app: FastAPI, schema: str) -> asyncio.Task[None] | None:
    """Register the pruning round of ``schema`` in a worker process (see ``start_periodic``).

    Does nothing unless ``GOVPROJ_OUTBOX_PRUNE_DATABASE_URL`` names an owner
    connection; the engine is created per round and disposed after it, so an
    idle worker holds no owner connection between rounds.
    """
    from libs.common.db import create_engine
    from libs.common.periodic import start_periodic

    settings = PruneSettings()
    url = settings.outbox_prune_database_url
    if not url or settings.outbox_prune_interval <= 0:
        return None

    async def round_() -> dict[str, int] | None:
        engine = create_engine(url, pool_size=1)
        try:
            result = await prune_outbox(
                engine,
                schema=schema,
                retention=timedelta(days=settings.outbox_retention_days),
                batch_size=settings.outbox_prune_batch,
            )
        finally:
            await engine.dispose()
        # Logged only when something was deleted: an hourly "0" is noise.
        return {"deleted": result.deleted, "unsent": result.unsent} if result.deleted else None

    return start_periodic(app, f"{schema}-outbox-prune", settings.outbox_prune_interval, round_)
