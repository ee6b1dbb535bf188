"""Run the 四性检测 catalogue over a package; decide archive acceptance (档案验收).

Acceptance passes only when no blocking item failed and no item was left not
run (a scanner that did not run is never a pass). Potou 第二十三条: "未进行档案验收
或者档案验收不合格的，不得通过项目验收" — the acceptance service consumes
``govproj.archive.acceptance.passed.v1`` / ``failed.v1``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from libs.common.errors import Problem
from libs.common.reads import rows_where
from libs.vocab import actor_name
from services.archive.checks.catalogue import load_catalogue
from services.archive.checks.items import CHECKS, CheckContext, DocumentEntry
from services.archive.checks.official import file_with_decision
from services.archive.checks.scanner import VirusScanner
from services.archive.models import (
    ArchiveAcceptance,
    CheckReport,
    Document,
    DocumentVersion,
    StoredObject,
    publisher,
)
from services.archive.packages.service import extracted_package, get_package
from services.archive.storage import ArchiveStorage
from services.archive.vocab import PROPERTIES, STAGES

__all__ = [
    "accept_archive",
    "acceptance_dict",
    "fold",
    "get_report",
    "list_acceptances",
    "list_reports",
    "record_manual_outcome",
    "report_dict",
    "run_checks",
    "virus_database",
]

_ORDER = ("fail", "not_run", "manual_pending", "pass")


def fold(outcomes: list[str]) -> str:
    """One item's outcome from its subjects': the worst of them (no subjects: not_run)."""
    if not outcomes:
        return "not_run"
    return min(outcomes, key=_ORDER.index)


def _acceptable(results: list[dict[str, Any]]) -> bool:
    return not any(
        (r["blocking"] and r["outcome"] in ("fail", "manual_pending")) or r["outcome"] == "not_run"
        for r in results
    )


def _summary(results: list[dict[str, Any]], *, item_count: int, byte_total: int) -> dict[str, Any]:
    counts = Counter(r["outcome"] for r in results)
    return {
        "total": len(results),
        **{o: counts.get(o, 0) for o in _ORDER},
        "blocking_failures": [
            r["item"] for r in results if r["blocking"] and r["outcome"] == "fail"
        ],
        "not_run": [r["item"] for r in results if r["outcome"] == "not_run"],
        "item_count": item_count,
        "byte_total": byte_total,
    }


async def _recorded_manual(
    session: AsyncSession, package_id: uuid.UUID, stage: str
) -> dict[str, list[dict[str, Any]]]:
    """The latest manual finding per item on earlier reports of the same package and stage."""
    reports = (
        await session.scalars(
            sa.select(CheckReport)
            .where(CheckReport.package_id == package_id, CheckReport.stage == stage)
            .order_by(CheckReport.created_at.desc())
        )
    ).all()
    found: dict[str, list[dict[str, Any]]] = {}
    for report in reports:
        for result in report.results:
            details = result.get("details") or []
            if result["item"] not in found and any("recorded_by" in d for d in details):
                found[result["item"]] = details
    return found


async def _entries(session: AsyncSession, items: list[dict[str, Any]]) -> list[DocumentEntry]:
    entries = []
    for item in items:
        row = (
            await session.execute(
                sa.select(Document, DocumentVersion, StoredObject)
                .join(DocumentVersion, DocumentVersion.document_id == Document.id)
                .join(StoredObject, StoredObject.id == DocumentVersion.object_id)
                .where(
                    Document.id == uuid.UUID(item["document_id"]),
                    DocumentVersion.version_id == item["version_id"],
                )
            )
        ).first()
        if row is None:
            raise Problem.conflict(
                "package_document_missing", "包内文件的登记已不存在", f"{item['path']}"
            )
        entries.append(DocumentEntry(row[0], row[1], row[2], item))
    return entries


async def run_checks(
    session: AsyncSession,
    storage: ArchiveStorage,
    scanner: VirusScanner,
    *,
    tenant: str,
    package_id: uuid.UUID,
    stage: str,
    actor: dict[str, Any],
) -> CheckReport:
    """Run every catalogue item of ``stage`` over the package and record the report."""
    catalogue = load_catalogue()
    package, package_obj = await get_package(session, package_id)
    if package.tenant_id != tenant:
        raise Problem.not_found("归档信息包", package_id)
    entries = await _entries(session, package.items)
    results: list[dict[str, Any]] = []
    async with extracted_package(session, storage, package, package_obj) as (bag_dir, problems):
        ctx = CheckContext(package, package_obj, entries, bag_dir, problems, storage, scanner)
        recorded = await _recorded_manual(session, package.id, stage)
        for item in catalogue.for_stage(stage):
            if item.check == "manual":
                # The package is immutable, so a person's finding on it still holds.
                details = recorded.get(item.id) or [
                    {
                        "outcome": "manual_pending",
                        "subject": str(package.id),
                        "detail": "待人工确认",
                    }
                ]
            else:
                details = await CHECKS[item.check](ctx)
            results.append(
                {
                    "item": item.id,
                    "stage": stage,
                    "property": item.property,
                    "name": item.name,
                    "standard": item.standard,
                    "blocking": item.blocking,
                    "outcome": fold([d["outcome"] for d in details]),
                    "details": details,
                }
            )
    summary = _summary(results, item_count=package.item_count, byte_total=package.byte_total)
    report = CheckReport(
        id=uuid7(),
        tenant_id=tenant,
        package_id=package.id,
        project_id=package.project_id,
        stage=stage,
        catalogue_version=catalogue.version,
        results=results,
        summary=summary,
        acceptable=_acceptable(results),
        created_by=actor["id"],
        created_by_name=actor_name(actor),
        created_at=datetime.now(UTC),
    )
    await publisher.record(
        session,
        report,
        "check_report",
        "completed",
        actor=actor,
        data=_report_data(report, stage=stage, summary=summary),
    )
    return report


def _report_data(report: CheckReport, **data: Any) -> dict[str, Any]:
    """A ``check_report.*`` event's data: the report, its package and project, whether acceptable."""
    return {
        "report_id": str(report.id),
        "package_id": str(report.package_id),
        "project_id": str(report.project_id),
        **data,
        "acceptable": report.acceptable,
    }


async def get_report(session: AsyncSession, report_id: uuid.UUID) -> CheckReport:
    report = await session.get(CheckReport, report_id)
    if report is None:
        raise Problem.not_found("检测报告", report_id)
    return report


def virus_database(results: list[dict[str, Any]]) -> str | None:
    """The signatures the report's virus scan used: ``test_only`` if any file was
    scanned with test signatures only (the report must say so), else ``official``,
    None when nothing was scanned."""
    used = {d.get("virus_database") for r in results for d in r.get("details") or []} - {None}
    if "test_only" in used:
        return "test_only"
    return "official" if used else None


async def list_reports(session: AsyncSession, project_id: uuid.UUID) -> list[CheckReport]:
    """Every check report of the project's packages, newest first."""
    newest = (CheckReport.created_at.desc(), CheckReport.id.desc())
    return await rows_where(
        session, CheckReport, CheckReport.project_id == project_id, order_by=newest
    )


def report_dict(report: CheckReport) -> dict[str, Any]:
    return {
        "id": report.id,
        "package_id": report.package_id,
        "project_id": report.project_id,
        "stage": report.stage,
        "catalogue_version": report.catalogue_version,
        "results": report.results,
        "summary": report.summary,
        "acceptable": report.acceptable,
        "virus_database": virus_database(report.results),
        "created_by": report.created_by,
        "created_by_name": report.created_by_name or "（未署名）",
        "created_at": report.created_at,
    }


async def accept_archive(
    session: AsyncSession,
    storage: ArchiveStorage,
    scanner: VirusScanner,
    *,
    tenant: str,
    project_id: uuid.UUID,
    package_id: uuid.UUID,
    actor: dict[str, Any],
) -> dict[str, Any]:
    """档案验收: run the transfer-stage checks and decide; the event feeds acceptance."""
    package, _ = await get_package(session, package_id)
    if package.project_id != project_id or package.tenant_id != tenant:
        raise Problem.not_found("归档信息包", package_id)
    report = await run_checks(
        session,
        storage,
        scanner,
        tenant=tenant,
        package_id=package_id,
        stage="transfer",
        actor=actor,
    )
    reasons = [
        {
            "item": r["item"],
            "name": r["name"],
            "property": PROPERTIES[r["property"]],
            "outcome": r["outcome"],
            "blocking": r["blocking"],
            "details": [d["detail"] for d in r["details"] if d["outcome"] != "pass"][:20],
        }
        for r in report.results
        if (r["blocking"] and r["outcome"] in ("fail", "manual_pending"))
        or r["outcome"] == "not_run"
    ]
    outcome = "passed" if report.acceptable else "failed"
    decision = ArchiveAcceptance(
        id=uuid7(),
        tenant_id=tenant,
        project_id=project_id,
        package_id=package_id,
        report_id=report.id,
        outcome=outcome,
        reasons=reasons,
        decided_by=actor["id"],
        decided_at=datetime.now(UTC),
    )
    await publisher.record(
        session,
        decision,
        "acceptance",
        outcome,
        data={
            "acceptance_id": str(decision.id),
            "project_id": str(project_id),
            "package_id": str(package_id),
            "report_id": str(report.id),
            "stage": STAGES["transfer"],
            "outcome": outcome,
            "item_count": package.item_count,
            "byte_total": package.byte_total,
            "reasons": reasons,
        },
        actor=actor,
    )
    # The report it rests on goes into the project's archive (issue 18).
    await file_with_decision(
        session,
        report_dict(report),
        tenant=tenant,
        project_id=project_id,
        decision_id=decision.id,
        actor=actor,
    )
    return acceptance_dict(decision)


def acceptance_dict(decision: ArchiveAcceptance) -> dict[str, Any]:
    return {
        "id": decision.id,
        "project_id": decision.project_id,
        "package_id": decision.package_id,
        "report_id": decision.report_id,
        "outcome": decision.outcome,
        "reasons": decision.reasons,
        "decided_by": decision.decided_by,
        "decided_at": decision.decided_at,
    }


async def list_acceptances(session: AsyncSession, project_id: uuid.UUID) -> list[ArchiveAcceptance]:
    """The project's 档案验收 decisions, newest first."""
    newest = (ArchiveAcceptance.decided_at.desc(), ArchiveAcceptance.id.desc())
    return await rows_where(
        session, ArchiveAcceptance, ArchiveAcceptance.project_id == project_id, order_by=newest
    )


async def record_manual_outcome(
    session: AsyncSession,
    *,
    tenant: str,
    report_id: uuid.UUID,
    item_id: str,
    outcome: str,
    note: str,
    actor: dict[str, Any],
) -> CheckReport:
    """Record a person's finding on a manual item (人工确认); automatic outcomes stay as run.

    A scanner that did not run, or a failed automatic check, is never turned
    into a pass by hand: only catalogue items whose check is ``manual`` take a
    recorded outcome. The finding carries over to later runs on the package.
    """
    report = await get_report(session, report_id)
    if report.tenant_id != tenant:
        raise Problem(
            403, "forbidden", "无权执行此操作", "上级主管部门只能查看下级的检测报告，不能修改"
        )
    item = next((i for i in load_catalogue().items if i.id == item_id), None)
    if item is None or all(r["item"] != item_id for r in report.results):
        raise Problem.not_found("检测项", item_id)
    if item.check != "manual":
        raise Problem.conflict(
            "not_a_manual_item",
            "自动检测项不能人工改判",
            f"item: {item_id} 由系统检测，结果不能人工录入",
        )
    at = datetime.now(UTC)
    results = []
    for r in report.results:
        if r["item"] == item_id:
            detail = {
                "outcome": outcome,
                "subject": str(report.package_id),
                "detail": note,
                "recorded_by": actor["id"],
                "recorded_at": at.isoformat(),
            }
            r = {**r, "outcome": outcome, "details": [detail]}
        results.append(r)
    # JSONB columns change only when reassigned.
    report.results = results
    report.summary = _summary(
        results, item_count=report.summary["item_count"], byte_total=report.summary["byte_total"]
    )
    report.acceptable = _acceptable(results)
    await session.flush()
    await publisher.announce(
        session,
        "check_report",
        "manual_recorded",
        tenant=report.tenant_id,
        actor=actor,
        data=_report_data(report, item=item_id, outcome=outcome, note=note),
    )
    return report
