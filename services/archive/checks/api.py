"""四性检测 and archive acceptance routes: run, read (JSON or printable page), accept."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Access
from libs.common.routes import once
from libs.common.service import DbSession, actor_of
from libs.gongwen import render_pdf
from services.archive.checks import service
from services.archive.checks.official import report_names, report_of_record
from services.archive.checks.report import render_report
from services.archive.checks.scanner import VirusScanner, scanner_from_env
from services.archive.checks.schemas import (
    AcceptanceCreate,
    AcceptanceRead,
    CheckReportRead,
    CheckRun,
    ManualOutcome,
)
from services.archive.deps import BUSY, PROBLEMS, BureauDecider, Checker, Idem, Reader, Storage
from services.archive.http_range import content_disposition
from services.archive.limits import heavy
from services.archive.packages.api import package_scope
from services.archive.packages.service import get_package
from services.archive.replica import require_project

router = APIRouter(prefix="/v1", tags=["checks"], responses=PROBLEMS)


def _scanner(request: Request) -> VirusScanner:
    scanner: VirusScanner | None = getattr(request.app.state, "virus_scanner", None)
    if scanner is None:
        scanner = scanner_from_env()
        request.app.state.virus_scanner = scanner
    return scanner


@router.post(
    "/packages/{package_id}/checks",
    response_model=CheckReportRead,
    status_code=201,
    summary="对归档信息包执行四性检测（每个辖区同时只执行一项；支持 Idempotency-Key）",
    responses=BUSY,
)
async def run_checks(
    package_id: uuid.UUID,
    body: CheckRun,
    request: Request,
    session: DbSession,
    storage: Storage,
    access: Checker,
    idem: Idem,
) -> Any:
    async def check() -> dict[str, Any]:
        package, _ = await get_package(session, package_id)
        access.check(await package_scope(session, package))
        with heavy(access.subject.tenant, "四性检测"):
            report = await service.run_checks(
                session,
                storage,
                _scanner(request),
                tenant=access.subject.tenant,
                package_id=package_id,
                stage=body.stage,
                actor=actor_of(access.subject),
            )
        return service.report_dict(report)

    return await once(idem, check, status=201)


async def _readable_report(session: AsyncSession, access: Access, report_id: uuid.UUID) -> Any:
    report = await service.get_report(session, report_id)
    package, _ = await get_package(session, report.package_id)
    access.check_read(await package_scope(session, package))
    return report


@router.get(
    "/check-reports/{report_id}",
    response_model=CheckReportRead,
    summary="检测报告（JSON）",
)
async def get_report(report_id: uuid.UUID, access: Reader, session: DbSession) -> dict[str, Any]:
    return service.report_dict(await _readable_report(session, access, report_id))


@router.get(
    "/projects/{project_id}/check-reports",
    response_model=list[CheckReportRead],
    summary="项目的全部检测报告（最新的在前）",
    responses=PROBLEMS,
)
async def list_reports(
    project_id: uuid.UUID, access: Reader, session: DbSession
) -> list[dict[str, Any]]:
    return [service.report_dict(r) for r in await service.list_reports(session, project_id)]


@router.get(
    "/projects/{project_id}/archive-acceptances",
    response_model=list[AcceptanceRead],
    summary="项目的档案验收结论（最新的在前）",
    responses=PROBLEMS,
)
async def list_acceptances(
    project_id: uuid.UUID, access: Reader, session: DbSession
) -> list[dict[str, Any]]:
    return [service.acceptance_dict(a) for a in await service.list_acceptances(session, project_id)]


@router.post(
    "/check-reports/{report_id}/items/{item_id}/manual",
    response_model=CheckReportRead,
    summary="录入人工确认项的结果（仅限人工检测项）",
    responses={409: {"description": "自动检测项不能人工改判"}},
)
async def record_manual_outcome(
    report_id: uuid.UUID,
    item_id: str,
    body: ManualOutcome,
    session: DbSession,
    access: BureauDecider,
    idem: Idem,
) -> Any:
    async def record() -> dict[str, Any]:
        await _readable_report(session, access, report_id)
        report = await service.record_manual_outcome(
            session,
            tenant=access.subject.tenant,
            report_id=report_id,
            item_id=item_id,
            outcome=body.outcome,
            note=body.note,
            actor=actor_of(access.subject),
        )
        return service.report_dict(report)

    return await once(idem, record)


@router.get(
    "/check-reports/{report_id}/print",
    response_class=HTMLResponse,
    summary="检测报告（可打印页面）",
)
async def print_report(report_id: uuid.UUID, access: Reader, session: DbSession) -> HTMLResponse:
    report = service.report_dict(await _readable_report(session, access, report_id))
    return HTMLResponse(render_report(report, **await report_names(session, report)))


@router.get(
    "/check-reports/{report_id}/pdf",
    response_class=Response,
    summary="检测报告（PDF，GB/T 9704-2012 版式）",
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def report_pdf(report_id: uuid.UUID, access: Reader, session: DbSession) -> Response:
    report = service.report_dict(await _readable_report(session, access, report_id))
    document = await report_of_record(session, report, tenant=access.subject.tenant)
    pdf = await asyncio.to_thread(render_pdf, document)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": content_disposition(f"{document.title}.pdf")},
    )


@router.post(
    "/projects/{project_id}/archive-acceptance",
    response_model=AcceptanceRead,
    status_code=201,
    summary="档案验收（移交与接收环节四性检测，无否决项不通过且无未检测项方可通过；支持 Idempotency-Key）",
    responses=BUSY,
)
async def accept(
    project_id: uuid.UUID,
    body: AcceptanceCreate,
    request: Request,
    session: DbSession,
    storage: Storage,
    access: BureauDecider,
    idem: Idem,
) -> Any:
    tenant = access.subject.tenant

    async def decide() -> dict[str, Any]:
        # Only a project of this jurisdiction (issue 16: 湘桥 ran 档案验收 for 潮安's id).
        await require_project(session, project_id, access=access, tenant=tenant)
        with heavy(tenant, "档案验收"):
            return await service.accept_archive(
                session,
                storage,
                _scanner(request),
                tenant=tenant,
                project_id=project_id,
                package_id=body.package_id,
                actor=actor_of(access.subject),
            )

    return await once(idem, decide, status=201)
