"""Operator drills on a running stack: restore from backup (and the upgrade drill's helpers).

    .venv/bin/python -m tests.system.drills restore [--projects 12] [--rate 1.0]
    .venv/bin/python -m tests.system.drills upgrade [--from 5e9364d] [--projects 12]

The restore drill runs the procedure docs/operations.md describes, on a stack
of our own (bench/lifecycle.py's ``running_stack``) while lifecycles run:

1. back up: ``pg_dump -Fc`` of the platform database on an exported snapshot
   (so the backup's moment is known to the millisecond), ``pg_dumpall
   --roles-only``, and a copy of the object store's directory;
2. keep writing (the lifecycles go on to their end), then destroy: stop the
   services and ``DROP DATABASE``;
3. restore: ``createdb`` + ``pg_restore``; fence the events of the lost writes
   (in the stream, in no restored outbox) in each consumer's inbox, delete the
   GovProj durable consumers so they replay the streams through their inboxes;
   restart the services and let them drain;
4. account: every acknowledged write present, or lost and acknowledged after
   the backup's snapshot; every consumer converged, nothing applied twice, no
   dead letter; the fixity audit's findings exactly the objects written after
   the snapshot.

Figures go to docs/reliability.md ("Restore drill"); the short version is
tests/system/test_drills.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.lifecycle import (
    REPO,
    Api,
    ProjectRun,
    Stack,
    _consumers,
    _matches,
    drain,
    run_load,
    running_stack,
)
from libs.common.events import durable_name
from libs.common.settings import SERVICES
from libs.common.testing.infra import _pg_bin
from tests.system.upgrade import PREVIOUS_RELEASE, checked_out, release_stack, upgrade_drill

BEGIN, END = "<!-- restore-drill:begin -->", "<!-- restore-drill:end -->"
DATABASE = "lifecycle"  # running_stack's database name


# ---- a client that keeps the ledger of acknowledged writes ---------------------------------


@dataclass(frozen=True)
class Ack:
    """One write the platform acknowledged (2xx): when it was sent and answered, what it made."""

    sent: datetime
    acked: datetime
    service: str
    method: str
    path: str
    status: int
    resource_id: str | None
    version: int | None


class LedgerApi(Api):
    """:class:`bench.lifecycle.Api` that records every acknowledged POST/PUT/PATCH/DELETE."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.ledger: list[Ack] = []
        self._ledger_lock = threading.Lock()

    def call(self, service: str, method: str, path: str, **kw: Any) -> httpx.Response:
        sent = datetime.now(UTC)
        r = super().call(service, method, path, **kw)
        if method != "GET" and 200 <= r.status_code < 300:
            body: Any = None
            if r.headers.get("content-type", "").startswith("application/json"):
                body = r.json()
            rid = body.get("id") if isinstance(body, dict) else None
            version = body.get("version") if isinstance(body, dict) else None
            ack = Ack(
                sent=sent,
                acked=datetime.now(UTC),
                service=service,
                method=method,
                path=path,
                status=r.status_code,
                resource_id=str(rid) if rid else None,
                version=version if isinstance(version, int) else None,
            )
            with self._ledger_lock:
                self.ledger.append(ack)
        return r


# ---- backup, destroy, restore ---------------------------------------------------------------


@dataclass
class Backup:
    """Where the backup went and the moment it holds."""

    dir: Path
    snapshot_at: datetime  # the database as of this instant (server clock)
    started: datetime
    finished: datetime
    dump_bytes: int = 0
    objects_copied: int = 0
    commands: list[str] = field(default_factory=list)


def _pg(tool: str) -> str:
    return str(_pg_bin() / tool)


def _libpq(url: str, database: str | None = None) -> str:
    """A libpq URL (no SQLAlchemy driver suffix), optionally on another database."""
    plain = re.sub(r"^postgresql\+\w+://", "postgresql://", url)
    return plain if database is None else plain.rsplit("/", 1)[0] + f"/{database}"


def back_up(stack: Stack, into: Path) -> Backup:
    """pg_dump on an exported snapshot + the cluster's roles + a copy of the object store."""
    into.mkdir(parents=True, exist_ok=True)
    admin_db = stack.db.admin
    started = datetime.now(UTC)
    commands: list[str] = []
    # The snapshot is exported by a transaction we hold open while pg_dump reads it: the
    # backup is the database as of `snap_at`, and the ledger says which writes precede it.
    with psycopg.connect(admin_db, autocommit=False) as holder:
        holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = holder.execute("SELECT pg_export_snapshot(), clock_timestamp()").fetchone()
        assert row is not None
        snapshot, snap_at = row
        dump = into / f"{DATABASE}.dump"
        cmd = [_pg("pg_dump"), "-Fc", f"--snapshot={snapshot}", "-f", str(dump), admin_db]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        commands.append(f"pg_dump -Fc --snapshot=<exported> -f {dump.name} <database URL>")
        holder.rollback()
    roles = into / "roles.sql"
    cmd = [_pg("pg_dumpall"), "--roles-only", "-f", str(roles), "-d", stack.pg.admin_url]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    commands.append("pg_dumpall --roles-only -f roles.sql -d <cluster admin URL>")
    # The object store (filesystem backend): a copy of its directory. Versions are
    # write-once (COMPLIANCE), so a copy taken while uploads run holds whole versions
    # plus, at worst, a version whose sidecar is not yet written (skipped by listings).
    objects = Path(stack.platform.env["GOVPROJ_STORAGE_ROOT"])
    shutil.copytree(objects, into / "objects", symlinks=True)
    commands.append("cp -a <GOVPROJ_STORAGE_ROOT> objects/")
    copied = sum(1 for p in (into / "objects").rglob("*") if p.is_file())
    return Backup(
        dir=into,
        snapshot_at=snap_at.astimezone(UTC),
        started=started,
        finished=datetime.now(UTC),
        dump_bytes=dump.stat().st_size,
        objects_copied=copied,
        commands=commands,
    )


def destroy(stack: Stack) -> None:
    """Stop every service, then drop the platform database (the disaster)."""
    for service in SERVICES:
        stack.platform.stop_service(service)
    with psycopg.connect(stack.pg.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')


def restore(stack: Stack, backup: Backup) -> list[str]:
    """createdb + pg_restore as the superuser (owners and grants come back with the schemas)."""
    admin = stack.pg.admin_url
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'govproj_owner'").fetchone()
    if exists is None:  # a new cluster: the roles first (the drill drops only the database)
        subprocess.run(
            [_pg("psql"), "-v", "ON_ERROR_STOP=1", "-f", str(backup.dir / "roles.sql"), admin],
            check=True,
            capture_output=True,
        )
    # --create recreates the database with its owner, its settings and its CONNECT grants,
    # which a dump restores only with the database itself.
    dump = backup.dir / f"{DATABASE}.dump"
    subprocess.run(
        [_pg("pg_restore"), "--create", "--exit-on-error", "-d", admin, str(dump)],
        check=True,
        capture_output=True,
    )
    return [f"pg_restore --create --exit-on-error -d <cluster admin URL> {DATABASE}.dump"]


# ---- the streams after a restore: fence what was lost, replay the rest ---------------------


@dataclass(frozen=True)
class StreamEvent:
    id: str
    stream: str
    subject: str
    type: str
    data: dict[str, Any]
    published: datetime
    headers: dict[str, str] = field(default_factory=dict)


async def _read_stream(nats_url: str, stream: str) -> list[StreamEvent]:
    """Every message of ``stream`` with its payload (an ephemeral consumer, no acks)."""
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        total = (await js.stream_info(stream)).state.messages
        sub = await js.pull_subscribe(
            "govproj.>" if stream == "GOVPROJ" else ">",
            stream=stream,
            config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL),
        )
        out: list[StreamEvent] = []
        while len(out) < total:
            try:
                msgs = await sub.fetch(500, timeout=5)
            except TimeoutError:
                break
            for m in msgs:
                h = m.headers or {}
                try:
                    data = json.loads(m.data)
                except ValueError:
                    data = {}
                out.append(
                    StreamEvent(
                        id=h.get("Nats-Msg-Id") or h.get("ce-id", ""),
                        stream=stream,
                        subject=m.subject,
                        type=h.get("ce-type", ""),
                        data=data if isinstance(data, dict) else {},
                        published=m.metadata.timestamp.astimezone(UTC),
                        headers=dict(h),
                    )
                )
        return out
    finally:
        await nc.close()


async def _delete_durables(nats_url: str, durables: list[tuple[str, str]]) -> list[str]:
    import nats
    from nats.js.errors import NotFoundError

    nc = await nats.connect(nats_url)
    deleted = []
    try:
        js = nc.jetstream()
        for stream, durable in durables:
            try:
                await js.delete_consumer(stream, durable)
                deleted.append(f"{stream}/{durable}")
            except NotFoundError:
                pass
    finally:
        await nc.close()
    return deleted


def _count(conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...] = ()) -> int:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def _tenant_of(subject: str) -> str:
    # govproj.<tenant>.<service>.… and finance.<tenant>.…: the tenant is the second token.
    return subject.split(".")[1]


@dataclass
class Fence:
    """The events of writes the restore lost, and what was done so no consumer applies them."""

    lost: list[StreamEvent]
    inbox_rows: int
    rewound: list[str]
    kept_foreign: int  # FINANCE answers to requests the restored database still holds


# Clock skew allowed between the NATS servers (stream timestamps) and PostgreSQL (the
# snapshot's time): a lost write committed after T can carry a timestamp up to this much
# before T. Only events also missing from every outbox are fenced, so the margin costs nothing.
CLOCK_SKEW = timedelta(seconds=60)


def fence_and_rewind(stack: Stack, snapshot_at: datetime) -> Fence:
    """Fence lost events in every consumer's inbox, then delete the GovProj durables.

    A GOVPROJ event that is in the stream but in no restored outbox was emitted by
    a transaction the backup does not hold: its write is lost, and applying it now
    would give the consumers the effect of a write their producer no longer has.
    A FINANCE answer is the finance system's, never in an outbox: it is lost when
    it answers a review the restored database does not hold (the review was
    created after the snapshot; if the step is replayed a new review asks again).
    Only events published after the snapshot (less ``CLOCK_SKEW``) can be lost: an
    older one was committed before it, and its outbox row is missing only because
    ``govproj events prune`` removed it. Every other event is replayed from the
    start of the streams: the durables are
    deleted, the services recreate them (``DeliverPolicy.ALL``) and the inboxes skip
    what the restored database had already applied.
    """
    events = [
        e
        for stream in ("GOVPROJ", "FINANCE")
        for e in asyncio.run(_read_stream(stack.nats.url, stream))
    ]
    consumers = _consumers()
    with psycopg.connect(stack.db.admin) as conn:
        outbox = {
            str(i)
            for s in SERVICES
            for (i,) in conn.execute(f"SELECT id FROM {s}.outbox").fetchall()
        }
        reviews = {
            str(i) for (i,) in conn.execute("SELECT id FROM budget.finance_reviews").fetchall()
        }
        lost: list[StreamEvent] = []
        kept_foreign = 0
        for e in events:
            if e.id in outbox or e.published < snapshot_at - CLOCK_SKEW:
                continue
            if e.stream == "FINANCE" and str(e.data.get("review_id")) in reviews:
                kept_foreign += 1
                continue
            lost.append(e)
        rows = 0
        for service, consumer, stream, filters, handled in consumers:
            for e in lost:
                if e.stream != stream or e.type not in handled:
                    continue
                if not any(_matches(f, e.subject) for f in filters):
                    continue
                cur = conn.execute(
                    f"INSERT INTO {service}.inbox (tenant_id, event_id, consumer, subject, type) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (_tenant_of(e.subject), e.id, consumer, e.subject, e.type),
                )
                rows += cur.rowcount
        conn.commit()
    rewound = asyncio.run(
        _delete_durables(
            stack.nats.url,
            [
                (stream, durable_name(consumer, filters))
                for _, consumer, stream, filters, _ in consumers
            ],
        )
    )
    return Fence(lost=lost, inbox_rows=rows, rewound=rewound, kept_foreign=kept_foreign)


# ---- accounting -------------------------------------------------------------------------------


def account_writes(stack: Stack, ledger: list[Ack], snapshot_at: datetime) -> dict[str, Any]:
    """Each acknowledged write: present, or lost and sent after the snapshot.

    Evidence of a write is the row its answer names: a 201's ``id`` exists in the
    service's schema, and where the answer carries a ``version`` the row's version
    is at least that. Answers without either (a 200 that names no row version) are
    counted as not verifiable, not as present.
    """
    verifiable = [a for a in ledger if a.resource_id and (a.status == 201 or a.version is not None)]
    found: dict[tuple[str, str], int | None] = {}
    with psycopg.connect(stack.db.admin) as conn:
        for service in SERVICES:
            ids = sorted(
                {a.resource_id for a in verifiable if a.service == service and a.resource_id}
            )
            if not ids:
                continue
            tables = conn.execute(
                "SELECT c.table_name, bool_or(v.column_name IS NOT NULL) FROM "
                "information_schema.columns c LEFT JOIN information_schema.columns v ON "
                "v.table_schema = c.table_schema AND v.table_name = c.table_name AND "
                "v.column_name = 'version' WHERE c.table_schema = %s AND c.column_name = 'id' "
                "AND c.data_type = 'uuid' GROUP BY c.table_name",
                (service,),
            ).fetchall()
            for table, has_version in tables:
                version = "version" if has_version else "NULL::int"
                for rid, ver in conn.execute(
                    f'SELECT id::text, {version} FROM {service}."{table}" '
                    "WHERE id = ANY(%s::uuid[])",
                    (ids,),
                ).fetchall():
                    prev = found.get((service, rid))
                    found[(service, rid)] = ver if prev is None else max(prev, ver or 0)
    before, during, after = [], [], []
    for a in verifiable:
        key = (a.service, a.resource_id or "")
        have = found.get(key)
        present = key in found and (a.version is None or (have is not None and have >= a.version))
        if a.acked < snapshot_at:
            before.append((a, present))
        elif a.sent > snapshot_at:
            after.append((a, present))
        else:
            during.append((a, present))
    # A write sent after the snapshot is lost. Its row can exist again only when the
    # answer named a row the snapshot already held (a transition on a project) and the
    # replay moved that row's version as far: evidence of the replay, not of the write.
    # A row created by the write (a 201's new id) must be absent.
    reborn = [a for a, present in after if present and a.status != 201]
    lost = [a for a, present in during + after if not present]
    return {
        "acknowledged": len(ledger),
        "verifiable": len(verifiable),
        "not_verifiable": len(ledger) - len(verifiable),
        "before_snapshot": len(before),
        "before_snapshot_missing": [
            f"{a.method} {a.service}{a.path} → {a.resource_id}" for a, p in before if not p
        ],
        "in_flight_at_snapshot": len(during),
        "in_flight_present": sum(p for _, p in during),
        "after_snapshot": len(after),
        "after_snapshot_present": [
            f"{a.method} {a.service}{a.path} → {a.resource_id}"
            for a, p in after
            if p and a.status == 201
        ],
        "after_snapshot_version_replayed": len(reborn),
        "lost": len(lost),
        "lost_window": [
            min(a.sent for a in lost).isoformat() if lost else None,
            max(a.acked for a in lost).isoformat() if lost else None,
        ],
        "lost_by_service": dict(Counter(a.service for a in lost)),
    }


def converged(stack: Stack, fence: Fence, restarted: datetime) -> dict[str, Any]:
    """After the drain: each consumer's handled events all in its inbox, nothing applied twice.

    ``replayed`` counts the events a consumer applied after the restart: effects the
    restore had lost and the replay brought back (or new events of the restarted
    services).
    """
    streams = {
        s: {e.id: e for e in asyncio.run(_read_stream(stack.nats.url, s))}
        for s in ("GOVPROJ", "FINANCE")
    }
    lost_ids = {e.id for e in fence.lost}
    out: dict[str, Any] = {"consumers": {}, "violations": []}
    with psycopg.connect(stack.db.admin) as conn:
        outbox = {
            s: {str(i) for (i,) in conn.execute(f"SELECT id FROM {s}.outbox").fetchall()}
            for s in SERVICES
        }
        all_outbox = set().union(*outbox.values())
        # Every restored and every new outbox row reached the stream (republished ones
        # were dropped as duplicates or stored again under the same id).
        unpublished = all_outbox - set(streams["GOVPROJ"]) - set(streams["FINANCE"])
        out["outbox_not_in_stream"] = len(unpublished)
        if unpublished:
            out["violations"].append(f"{len(unpublished)} outbox rows never reached a stream")
        for service, consumer, stream, filters, handled in _consumers():
            expected = {
                i
                for i, e in streams[stream].items()
                if e.type in handled and any(_matches(f, e.subject) for f in filters)
            }
            inbox = {
                str(i)
                for (i,) in conn.execute(
                    f"SELECT event_id FROM {service}.inbox WHERE consumer = %s",
                    (consumer,),
                ).fetchall()
            }
            dead = _count(
                conn,
                f"SELECT count(*) FROM {service}.dead_letter WHERE consumer = %s",
                (consumer,),
            )
            replayed = _count(
                conn,
                f"SELECT count(*) FROM {service}.inbox WHERE consumer = %s AND applied_at > %s",
                (consumer, restarted),
            )
            missing = expected - inbox
            out["consumers"][consumer] = {
                "expected": len(expected),
                "fenced": len(expected & lost_ids),
                "replayed": replayed,
                "missing": len(missing),
                "dead_letters": dead,
            }
            if missing:
                out["violations"].append(f"consumer {consumer}: {len(missing)} events not applied")
            if dead:
                out["violations"].append(f"consumer {consumer}: {dead} dead letters")
        twice = _count(
            conn,
            "SELECT count(*) FROM (SELECT event_id FROM registry.project_history "
            "WHERE trigger NOT LIKE 'registry:%%' GROUP BY event_id HAVING count(*) > 1) t",
        )
        effects = {
            "registry transitions applied twice": twice,
            "decisions twice per submission": _count(
                conn,
                "SELECT count(*) FROM (SELECT 1 FROM approval.decisions GROUP BY tenant_id, "
                "project_id, submission HAVING count(*) > 1) d",
            ),
            "contracts twice per project": _count(
                conn,
                "SELECT count(*) FROM (SELECT 1 FROM budget.contracts GROUP BY project_id "
                "HAVING count(*) > 1) d",
            ),
            "acceptances twice per project": _count(
                conn,
                "SELECT count(*) FROM (SELECT 1 FROM acceptance.acceptances GROUP BY project_id "
                "HAVING count(*) > 1) d",
            ),
            "finance reviews answered twice": _count(
                conn,
                "SELECT count(*) FROM (SELECT event_id FROM budget.inbox WHERE consumer = %s "
                "GROUP BY event_id HAVING count(*) > 1) d",
                ("budget_finance",),
            ),
        }
        out["effects"] = effects
        for name, n in effects.items():
            if n:
                out["violations"].append(f"{name}: {n}")
        out["transitions"] = _count(conn, "SELECT count(*) FROM registry.project_history")
    return out


async def _audit_all(stack: Stack) -> list[dict[str, Any]]:
    """The archive's fixity audit over every tenant, every object, no grace for young versions."""
    from libs.common.db import TenantContext, create_engine, create_sessionmaker, transaction
    from libs.common.storage import FilesystemStore
    from services.archive.retention.service import run_audit
    from services.archive.storage import ArchiveStorage

    storage = ArchiveStorage.from_env(
        FilesystemStore(Path(stack.platform.env["GOVPROJ_STORAGE_ROOT"]))
    )
    engine = create_engine(stack.db.app, pool_size=1)
    maker = create_sessionmaker(engine)
    findings: list[dict[str, Any]] = []
    try:
        async with engine.connect() as conn:
            from sqlalchemy import text

            codes = [
                str(c) for c in (await conn.scalars(text("SELECT code FROM archive.tenants"))).all()
            ]
        for code in codes:
            async with transaction(maker, TenantContext.own(code)) as session:
                result = await run_audit(
                    session, storage, tenant=code, batch_size=100_000, untracked_grace=timedelta(0)
                )
                findings += [
                    {
                        "tenant": code,
                        "classification": f.classification,
                        "key": f.key,
                        "version_id": f.version_id,
                        "bucket": f.bucket,
                    }
                    for f in result.findings
                ]
    finally:
        await engine.dispose()
    return findings


async def _versions(stack: Stack) -> list[Any]:
    from libs.common.storage import FilesystemStore, ObjectNotFound
    from services.archive.storage import ArchiveStorage

    store = FilesystemStore(Path(stack.platform.env["GOVPROJ_STORAGE_ROOT"]))
    archive = ArchiveStorage.from_env(store)
    with psycopg.connect(stack.db.admin) as conn:
        codes = [c for (c,) in conn.execute("SELECT code FROM archive.tenants").fetchall()]
    out = []
    for code in codes:
        try:
            out += await store.list_versions(archive.bucket_for(code))
        except ObjectNotFound:  # a tenant that never stored anything has no bucket
            continue
    return out


def _refiled_after(stack: Stack, restarted: datetime) -> int:
    """Official documents (issue 18's 批复, 验收结论, reports) pending in the restored
    database, filed since the restart or still waiting for the filing worker: each may
    also have been stored just before the snapshot by the worker — an upload in flight
    that no client sent."""
    with psycopg.connect(stack.db.admin) as conn:
        row = conn.execute(
            "SELECT count(*) FROM archive.official_filings WHERE filed_at IS NULL OR filed_at > %s",
            (restarted,),
        ).fetchone()
    return int(row[0]) if row else 0


def fixity(
    stack: Stack, snapshot_at: datetime, destroyed_at: datetime, in_flight_uploads: int
) -> dict[str, Any]:
    """The audit's findings against the store's own record of what was written after the
    snapshot and before the disaster (versions written since the restart are new writes)."""
    findings = asyncio.run(_audit_all(stack))
    versions = asyncio.run(_versions(stack))
    after = {
        (v.bucket, v.key, v.version_id)
        for v in versions
        if snapshot_at < v.last_modified <= destroyed_at
    }
    untracked = {
        (f["bucket"], f["key"], f["version_id"])
        for f in findings
        if f["classification"] == "untracked"
    }
    other = Counter(f["classification"] for f in findings if f["classification"] != "untracked")
    violations = []
    if after - untracked:
        violations.append(
            f"{len(after - untracked)} versions written after the snapshot not reported"
        )
    # A version PUT just before the snapshot whose row committed just after is untracked
    # too: at most one per upload in flight at the snapshot.
    if len(untracked - after) > in_flight_uploads:
        older = sorted(untracked - after)
        violations.append(
            f"{len(older)} untracked versions older than the snapshot "
            f"(in flight: {in_flight_uploads}; e.g. {older[:3]})"
        )
    if other:
        violations.append(f"unexpected findings: {dict(other)}")
    return {
        "versions_in_store": len(versions),
        "written_after_snapshot": len(after),
        "untracked_reported": len(untracked),
        "untracked_older_than_snapshot": len(untracked - after),
        "other_findings": dict(other),
        "violations": violations,
    }


# ---- the drill ------------------------------------------------------------------------------


def start_all(stack: Stack) -> None:
    """Start the five services at once (a restart is mostly imports: CPU, not waiting)."""
    with ThreadPoolExecutor(len(SERVICES)) as pool:
        list(pool.map(stack.platform.start_service, SERVICES))


def restore_drill(
    stack: Stack, workdir: Path, *, projects: int, rate: float, backup_after: float
) -> dict[str, Any]:
    """Lifecycles; a backup ``backup_after`` seconds in; the rest of the load; destroy; restore."""
    api = LedgerApi(stack.platform)
    done: dict[str, Any] = {}

    def load() -> None:
        try:
            done["runs"], done["wall"] = run_load(
                api, projects, rate, year=2031, stage_timeout=120.0
            )
        except BaseException as exc:  # reported by the caller, never swallowed
            done["error"] = exc

    loader = threading.Thread(target=load, daemon=True)
    t0 = time.monotonic()
    loader.start()
    # The backup is taken with lifecycles in flight: after `backup_after` seconds of load
    # and the first acknowledged upload, so the object store has versions on both sides.
    while loader.is_alive() and (
        time.monotonic() - t0 < backup_after
        or not any(a.service == "archive" and a.path == "/v1/documents" for a in api.ledger)
    ):
        time.sleep(0.5)
    backup = back_up(stack, workdir / "backup")
    loader.join()
    if "error" in done:
        raise done["error"]
    runs: list[ProjectRun] = done["runs"]
    # Writes after the backup are done; the outboxes and consumers drain before the disaster
    # so the stream holds every event of the lost writes (the hardest case for the fence).
    drain(stack)
    destroyed_at = datetime.now(UTC)
    t_destroy = time.monotonic()
    destroy(stack)
    commands = [*backup.commands, *restore(stack, backup)]
    fence = fence_and_rewind(stack, backup.snapshot_at)
    restarted = datetime.now(UTC)
    start_all(stack)
    drain(stack)
    recovery_s = time.monotonic() - t_destroy
    writes = account_writes(stack, api.ledger, backup.snapshot_at)
    convergence = converged(stack, fence, restarted)
    in_flight_uploads = sum(
        1 for a in api.ledger if a.service == "archive" and a.sent <= backup.snapshot_at < a.acked
    ) + _refiled_after(stack, restarted)
    fix = fixity(stack, backup.snapshot_at, destroyed_at, in_flight_uploads)
    api.close()
    violations = [
        *(
            f"acknowledged before the snapshot but missing: {m}"
            for m in writes["before_snapshot_missing"]
        ),
        *(f"sent after the snapshot but present: {m}" for m in writes["after_snapshot_present"]),
        *convergence["violations"],
        *fix["violations"],
    ]
    lost_times = sorted(e.published for e in fence.lost)
    return {
        "projects": projects,
        "rate": rate,
        "reached": dict(Counter(r.reached for r in runs)),
        "load_wall_s": round(done["wall"], 1),
        "backup": {
            "snapshot_at": backup.snapshot_at.isoformat(),
            "took_s": round((backup.finished - backup.started).total_seconds(), 2),
            "dump_bytes": backup.dump_bytes,
            "objects_copied": backup.objects_copied,
        },
        "destroyed_at": destroyed_at.isoformat(),
        "restore_to_drained_s": round(recovery_s, 1),
        "commands": commands,
        "writes": writes,
        "fence": {
            "lost_events": len(fence.lost),
            "lost_by_type": dict(Counter(e.type.split(".", 2)[-1] for e in fence.lost)),
            "lost_window": [
                lost_times[0].isoformat() if lost_times else None,
                lost_times[-1].isoformat() if lost_times else None,
            ],
            "inbox_fence_rows": fence.inbox_rows,
            "finance_answers_replayed": fence.kept_foreign,
            "durables_rewound": fence.rewound,
        },
        "convergence": {k: v for k, v in convergence.items() if k != "violations"},
        "fixity": {k: v for k, v in fix.items() if k != "violations"},
        "violations": violations,
    }


def restore_markdown(result: dict[str, Any]) -> str:
    """docs/reliability.md's "Restore drill" section from one result."""
    w, f, c, x = result["writes"], result["fence"], result["convergence"], result["fixity"]
    b = result["backup"]
    rows = "\n".join(
        f"| `{name}` | {v['expected']} | {v['fenced']} | {v['replayed']} | {v['missing']} "
        f"| {v['dead_letters']} |"
        for name, v in c["consumers"].items()
    )
    effects = "\n".join(f"| {k} | {v} |" for k, v in c["effects"].items())
    cmds = "\n".join(f"    {cmd}" for cmd in result["commands"])
    return f"""{BEGIN}
## Restore drill

Written by `python -m tests.system.drills restore` on {date_today()} ({result["projects"]} lifecycles at {result["rate"]}/s; 2 cores shared with other runs). The short version is `tests/system/test_drills.py`.

What ran: the lifecycles started; with them in flight the backup ({b["took_s"]} s) dumped the database on a snapshot exported at {b["snapshot_at"]} ({b["dump_bytes"]} bytes) and copied the object store's directory ({b["objects_copied"]} files); the load went on to its end ({result["reached"]}); the outboxes and consumers drained; then every service was stopped and the database dropped ({result["destroyed_at"]}). Restore, fence, restart and drain took {result["restore_to_drained_s"]} s. The commands, in order:

{cmds}

then the fence (events in a stream but in no restored outbox, and finance answers to reviews the backup does not hold, written to every consumer's inbox that handles them, so that nothing applies a lost write's effect), the GovProj durable consumers deleted (each service recreates its own and replays the streams through its inbox), and the services started.

**Acknowledged writes** (the driver's ledger: every 2xx answer to a POST, with the time it was sent and answered): {w["acknowledged"]} acknowledged, {w["verifiable"]} verifiable from the row their answer names (a 201's id, or a row version), {w["not_verifiable"]} not (a 200 naming no version).

| | writes | present after the restore |
|---|---|---|
| answered before the snapshot | {w["before_snapshot"]} | {w["before_snapshot"] - len(w["before_snapshot_missing"])} |
| in flight at the snapshot | {w["in_flight_at_snapshot"]} | {w["in_flight_present"]} |
| sent after the snapshot | {w["after_snapshot"]} | {len(w["after_snapshot_present"])} (and {w["after_snapshot_version_replayed"]} transitions whose project version the replay reached again) |

Reported lost: {w["lost"]} writes ({w["lost_by_service"]}), sent from {w["lost_window"][0]} (the earliest were in flight at the snapshot) and answered by {w["lost_window"][1]}: every request answered after the backup's snapshot and before the disaster, and none answered before it.

**Events of the lost writes**: {f["lost_events"]} fenced ({f["lost_by_type"]}), published between {f["lost_window"][0]} and {f["lost_window"][1]}; {f["inbox_fence_rows"]} inbox rows written; {f["finance_answers_replayed"]} finance answers replayed to the reviews the backup holds; durables rewound: {len(f["durables_rewound"])}.

**Convergence** after the replay (stream events each consumer handles, against its inbox):

| consumer | events it handles | fenced | applied after the restart | not applied | dead letters |
|---|---|---|---|---|---|
{rows}

Outbox rows not in a stream: {c["outbox_not_in_stream"]}.

| effect applied twice | count |
|---|---|
{effects}

**Fixity audit** (every tenant, every object, no grace for young versions): {x["versions_in_store"]} versions in the store, {x["written_after_snapshot"]} written after the snapshot (the store's own timestamps); the audit reported {x["untracked_reported"]} untracked ({x["untracked_older_than_snapshot"]} older than the snapshot: uploads in flight at it) and {x["other_findings"] or "no other"} findings.

Violations: {"; ".join(result["violations"]) or "none"}.
{END}"""


def date_today() -> str:
    return datetime.now(UTC).date().isoformat()


def write_section(path: Path, section: str, begin: str, end: str) -> None:
    """Replace the marked section of ``path``, or append it."""
    text = path.read_text(encoding="utf-8")
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


UPGRADE_BEGIN, UPGRADE_END = "<!-- upgrade-drill:begin -->", "<!-- upgrade-drill:end -->"


def upgrade_markdown(result: dict[str, Any], commit: str) -> str:
    """docs/reliability.md's "Upgrade drill" section from one result."""
    inv = result["invariants"]
    changed = {
        s: f"{result['schema_before'][s]} → {result['schema_after'][s]}"
        for s in result["schema_after"]
        if result["schema_before"][s] != result["schema_after"][s]
    }
    return f"""{UPGRADE_BEGIN}
## Upgrade drill

Written by `python -m tests.system.drills upgrade` on {date_today()} ({result["projects"]} lifecycles at {result["rate"]}/s; 2 cores shared with other runs). The short version is `tests/system/test_drills.py`.

What ran: the previous release ({commit}, checked out with `git worktree add`) — its own `govproj db upgrade`, its five services, its dev issuer and its finance simulators, from that tree with this virtualenv — took the load; {result["upgrade_after_s"]} s in, with projects in flight (registry states {result["registry_states_at_upgrade"]}), the upgrade ran in the order "{result["order"]}": this release's `govproj db upgrade` (what the chart's pre-upgrade hook Job runs: {changed or "no schema changed"}), each service stopped with SIGTERM and started from this release (in the rolling order first with `GOVPROJ_EVENTS_HEADER_ENCODING=legacy`, then, once no old service was left, the finance simulators replaced by this release's and every service rolled again with `percent`, switched at {result.get("switched_to_percent_at") or "—"}); {result["downtime_s"]} s from the upgrade's start to the last service ready. Code each release ran from: {result["code_before"]} → {result["code_after"]}. The driver's calls retried through the gap. `ce-actor` forms in the stream: {result.get("actor_forms")}; lifecycles started after the switch: {result.get("reached_after_switch") or "none"}.

How far each lifecycle got: {result["reached"]} (load wall time {result["load_wall_s"]} s). Every project read back on the new release by its unit officer and its bureau. Invariants after the drain: decisions {inv["decisions"]}, effects {inv["effects"]}, archive {inv["archive"]}.

Events in the stream that a consumer of the new release handles but never applied (none expected): {result.get("unapplied_by_type") or "none"}; dead letters: {result.get("dead_letters") or "none"}.

Violations: {"; ".join(result["violations"]) or "none"}.
{UPGRADE_END}"""


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.system.drills")
    sub = parser.add_subparsers(dest="drill", required=True)
    r = sub.add_parser("restore", help="back up, keep writing, destroy, restore, account")
    r.add_argument("--projects", type=int, default=12)
    r.add_argument("--rate", type=float, default=1.0)
    r.add_argument("--backup-after", type=float, default=25.0)
    r.add_argument("--no-docs", action="store_true", help="print only, leave docs/ alone")
    u = sub.add_parser("upgrade", help="previous release under load → migrate → this release")
    u.add_argument("--from", dest="commit", default=PREVIOUS_RELEASE)
    u.add_argument("--projects", type=int, default=12)
    u.add_argument("--rate", type=float, default=1.0)
    u.add_argument("--upgrade-after", type=float, default=25.0)
    u.add_argument(
        "--stop-first",
        action="store_true",
        help="stop every service before migrating (default: the chart's order, hook first)",
    )
    u.add_argument("--no-docs", action="store_true", help="print only, leave docs/ alone")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="govproj-drill-"))
    if args.drill == "restore":
        with running_stack(root / "stack") as stack:
            result = restore_drill(
                stack, root, projects=args.projects, rate=args.rate, backup_after=args.backup_after
            )
        print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
        if not args.no_docs:
            write_section(REPO / "docs" / "reliability.md", restore_markdown(result), BEGIN, END)
    else:
        with checked_out(args.commit) as tree, release_stack(root / "stack", tree) as stack:
            result = upgrade_drill(
                stack,
                projects=args.projects,
                rate=args.rate,
                upgrade_after=args.upgrade_after,
                rolling=not args.stop_first,
            )
        print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
        if not args.no_docs:
            section = upgrade_markdown(result, args.commit)
            write_section(REPO / "docs" / "reliability.md", section, UPGRADE_BEGIN, UPGRADE_END)
    shutil.rmtree(root, ignore_errors=True)
    raise SystemExit(1 if result["violations"] else 0)


if __name__ == "__main__":
    main()
