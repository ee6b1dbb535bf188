"""The rotating fixity audit: re-read the bytes, classify what is wrong, emit events.

Each run takes the ``batch_size`` objects verified longest ago (never-verified
first), re-reads every byte and recomputes SM3 and SHA-256. It then lists the
tenant's bucket for versions no row records. Classes:

- ``changed``: the bytes' size or digests differ from the row. ``location``
  says where the lie is: ``object`` when the bytes also differ from the upload
  event (the audit trail), ``record`` when the bytes still match the event and
  the row was edited.
- ``missing``: the row names a version the store does not have.
- ``untracked``: the store holds a version no row names (a crash between the
  PUT and the commit, or something written behind the archive's back).
  Versions younger than ``untracked_grace`` are skipped: their upload may be
  about to commit. Since issue 16 such a version is never locked (the lock
  follows the commit), so once reported it can be disposed of.

Each run first locks the versions whose rows committed but whose lock was
never read back (:func:`services.archive.documents.intake.lock_pending`).
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from libs.common.events import system_actor
from libs.common.periodic import for_each_tenant, start_periodic
from libs.common.storage import Digester, ObjectNotFound, StorageError
from services.archive.models import FixityFinding, StoredObject, publisher, tenants
from services.archive.storage import ArchiveStorage

__all__ = ["AuditResult", "Finding", "run_audit", "start_rotating_audit", "verify_object"]

log = logging.getLogger(__name__)

_WITNESS_TYPES = (
    "govproj.archive.document.uploaded.v1",
    "govproj.archive.package.created.v1",
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the audit found wrong, named well enough to act on."""

    classification: str  # changed | missing | untracked
    bucket: str
    key: str
    version_id: str
    location: str  # object | record | store
    detail: str
    object_id: uuid.UUID | None = None

    def whereabouts(self) -> dict[str, str]:
        """The version and what was found where, as the finding's event reports them."""
        return {n: getattr(self, n) for n in ("bucket", "key", "version_id", "location", "detail")}


@dataclass
class AuditResult:
    """What one run verified and found."""

    audit_id: uuid.UUID
    verified: int = 0
    ok: int = 0
    locked: int = 0  # pending locks applied by this run
    findings: list[Finding] = field(default_factory=list)


async def verify_object(
    storage: ArchiveStorage, obj: StoredObject
) -> tuple[str, str, int, str, str]:
    """Re-read one version: ``(status, detail, size, sha256, sm3)``; status ok|changed|missing."""
    digester = Digester()
    try:
        stream = await storage.store.get(obj.bucket, obj.key, obj.version_id)
        async with stream:
            async for chunk in stream:
                digester.update(chunk)
    except ObjectNotFound:
        return "missing", "存储中不存在该版本", 0, "", ""
    except StorageError as exc:  # e.g. a file shorter than its sidecar says
        return "changed", f"读取失败：{exc}", digester.size, "", ""
    got = digester.digests()
    problems = []
    if got.size != obj.size:
        problems.append(f"size {got.size} ≠ recorded {obj.size}")
    if got.sha256 != obj.sha256:
        problems.append(f"sha256 {got.sha256} ≠ recorded {obj.sha256}")
    if got.sm3 != obj.sm3:
        problems.append(f"sm3 {got.sm3} ≠ recorded {obj.sm3}")
    if problems:
        return "changed", "; ".join(problems), got.size, got.sha256, got.sm3
    return "ok", "", got.size, got.sha256, got.sm3


async def _witness(session: AsyncSession, obj: StoredObject) -> dict[str, Any] | None:
    """The digests the upload event recorded for this version (the audit trail)."""
    row = await session.execute(
        sa.text(
            "SELECT payload FROM archive.outbox WHERE type = ANY(:types) "
            "AND payload->>'version_id' = :vid AND payload->>'key' = :key LIMIT 1"
        ),
        {"types": list(_WITNESS_TYPES), "vid": obj.version_id, "key": obj.key},
    )
    payload = row.scalar_one_or_none()
    return dict(payload) if payload else None


async def run_audit(
    session: AsyncSession,
    storage: ArchiveStorage,
    *,
    tenant: str,
    batch_size: int = 100,
    untracked_grace: timedelta = timedelta(minutes=10),
    actor: dict[str, Any] | None = None,
) -> AuditResult:
    """Audit ``batch_size`` of the tenant's objects and its whole bucket listing."""
    actor = actor or dict(system_actor("archive-fixity-audit", tenant))
    result = AuditResult(audit_id=uuid7())
    # Reconciliation first: versions committed but never locked (a crash between
    # the commit and the lock, or a store that refused the lock) are locked now.
    from services.archive.documents.intake import lock_pending

    result.locked = await lock_pending(session, storage, tenant=tenant)
    now = datetime.now(UTC)
    rows = (
        (
            await session.execute(
                sa.select(StoredObject)
                .where(
                    StoredObject.tenant_id == tenant,
                    StoredObject.bucket == storage.bucket_for(tenant),
                )
                .order_by(StoredObject.last_verified_at.asc().nulls_first(), StoredObject.id)
                .limit(batch_size)
            )
        )
        .scalars()
        .all()
    )
    for obj in rows:
        status, detail, _size, sha256, sm3 = await verify_object(storage, obj)
        result.verified += 1
        obj.last_verified_at = now
        obj.last_status = status
        if status == "ok":
            result.ok += 1
            continue
        location = "store" if status == "missing" else "object"
        if status == "changed" and sha256:
            witness = await _witness(session, obj)
            if witness and witness.get("sha256") == sha256 and witness.get("sm3") == sm3:
                location = "record"
                detail = f"数据库记录与上传事件不一致（字节与事件相符）：{detail}"
        result.findings.append(
            Finding(status, obj.bucket, obj.key, obj.version_id, location, detail, obj.id)
        )
    result.findings.extend(
        await _untracked(session, storage, tenant=tenant, older_than=now - untracked_grace)
    )
    for finding in result.findings:
        session.add(
            FixityFinding(
                id=uuid7(),
                tenant_id=tenant,
                audit_id=result.audit_id,
                **asdict(finding),
                found_at=now,
            )
        )
        await publisher.announce(
            session,
            "fixity",
            finding.classification,
            tenant=tenant,
            data={
                "audit_id": str(result.audit_id),
                "object_id": str(finding.object_id) if finding.object_id else None,
                **finding.whereabouts(),
            },
            actor=actor,
        )
    await publisher.announce(
        session,
        "fixity",
        "audited",
        tenant=tenant,
        data={
            "audit_id": str(result.audit_id),
            "verified": result.verified,
            "ok": result.ok,
            "changed": sum(f.classification == "changed" for f in result.findings),
            "missing": sum(f.classification == "missing" for f in result.findings),
            "untracked": sum(f.classification == "untracked" for f in result.findings),
        },
        actor=actor,
    )
    await session.flush()
    return result


async def _untracked(
    session: AsyncSession, storage: ArchiveStorage, *, tenant: str, older_than: datetime
) -> list[Finding]:
    bucket = storage.bucket_for(tenant)
    try:
        versions = await storage.store.list_versions(bucket)
    except ObjectNotFound:  # nothing was ever stored for this tenant
        return []
    known = {
        (k, v)
        for k, v in (
            await session.execute(
                sa.select(StoredObject.key, StoredObject.version_id).where(
                    StoredObject.tenant_id == tenant, StoredObject.bucket == bucket
                )
            )
        ).tuples()
    }
    return [
        Finding(
            "untracked",
            bucket,
            v.key,
            v.version_id,
            "store",
            f"存储中有未登记的版本（{v.size} 字节，{v.last_modified.isoformat()}）",
        )
        for v in versions
        if (v.key, v.version_id) not in known and v.last_modified <= older_than
    ]


async def start_rotating_audit(app: FastAPI) -> None:
    """Start the periodic audit in worker processes (``GOVPROJ_ARCHIVE_AUDIT_INTERVAL`` seconds)."""
    interval = float(os.environ.get("GOVPROJ_ARCHIVE_AUDIT_INTERVAL", "3600"))
    batch = int(os.environ.get("GOVPROJ_ARCHIVE_AUDIT_BATCH", "100"))

    async def audit(session: AsyncSession, code: str) -> Any:
        return await run_audit(session, app.state.archive_storage, tenant=code, batch_size=batch)

    task = start_periodic(
        app,
        "archive-fixity-audit",
        interval,
        lambda: for_each_tenant(app.state.sessionmaker, tenants, audit),
        first_delay=interval,
    )
    if task is not None:
        app.state.fixity_audit_task = task
