"""Fixity audit routes: run an audit now, read findings."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query

from libs.common.routes import once
from libs.common.service import DbSession, actor_of
from services.archive.deps import BUSY, PROBLEMS, Auditor, Idem, Reader, Storage
from services.archive.limits import heavy
from services.archive.models import FixityFinding
from services.archive.retention.schemas import AuditRead, AuditRun, FindingRead
from services.archive.retention.service import run_audit

router = APIRouter(prefix="/v1", tags=["fixity"], responses=PROBLEMS)


@router.post(
    "/fixity/audits",
    response_model=AuditRead,
    status_code=201,
    summary="立即执行一轮固定性审计（本辖区；支持 Idempotency-Key）",
    responses=BUSY,
)
async def audit_now(
    body: AuditRun,
    session: DbSession,
    storage: Storage,
    access: Auditor,
    idem: Idem,
) -> Any:
    subject = access.subject

    async def audit() -> dict[str, Any]:
        with heavy(subject.tenant, "固定性审计"):
            result = await run_audit(
                session,
                storage,
                tenant=subject.tenant,
                batch_size=body.batch_size,
                untracked_grace=timedelta(minutes=10),
                actor=actor_of(subject),
            )
        return {
            "audit_id": result.audit_id,
            "verified": result.verified,
            "ok": result.ok,
            "findings": [dataclasses.asdict(f) for f in result.findings],
        }

    return await once(idem, audit, status=201)


@router.get(
    "/fixity/findings",
    response_model=list[FindingRead],
    summary="固定性审计发现的问题",
)
async def list_findings(
    access: Reader,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Any]:
    rows = await session.execute(
        sa.select(FixityFinding).order_by(FixityFinding.found_at.desc()).limit(limit)
    )
    return list(rows.scalars().all())
