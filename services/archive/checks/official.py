"""The 四性检测 report as a document in the layout of GB/T 9704-2012 (issue 18), for PDF.

The report is a record the archive makes, not a 公文 an authority issues: it has
no 发文字号 (nobody registered one, and a number we made up would read as a
real 文号 in the archive), so the 版头 is the neutral "电子档案四性检测报告" and
the signature is the jurisdiction's electronic archive, the only issuer the
archive service knows (its tenant's name). The content is the printable
report's (:mod:`services.archive.checks.report`), item by item in an attachment.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.gongwen import Attachment, OfficialDocument
from libs.vocab import BEIJING, format_time
from services.archive.checks.report import count, named, package_line, verdict
from services.archive.documents.official import record_issued
from services.archive.models import Document, Project, tenants
from services.archive.packages.service import get_package
from services.archive.vocab import OUTCOMES, PROPERTIES, STAGES

__all__ = ["compose_report", "file_with_decision", "report_names", "report_of_record"]

_DETAILS_PER_ITEM = 20  # the PDF is for reading; the JSON report keeps every detail


def _item(result: Mapping[str, Any], titles: Mapping[str, str]) -> str:
    outcome = OUTCOMES.get(result["outcome"], result["outcome"])
    line = (
        f"{result['item']} {PROPERTIES.get(result['property'], result['property'])}·"
        f"{result['name']}（{result['standard']}{'，否决项' if result['blocking'] else ''}）：{outcome}。"
    )
    details = [
        f"[{OUTCOMES.get(d['outcome'], d['outcome'])}] {named(str(d.get('subject', '')), titles)}："
        f"{named(str(d.get('detail', '')), titles)}"
        for d in result["details"][:_DETAILS_PER_ITEM]
    ]
    return "　".join([line, *details])


def compose_report(
    report: Mapping[str, Any],
    *,
    jurisdiction: str,
    project_name: str,
    package: Mapping[str, Any] | None,
    titles: Mapping[str, str],
) -> OfficialDocument:
    """The report of ``report_dict`` as a document; ids are named as people know them."""
    s = report["summary"]
    made: datetime = report["created_at"]
    day = made.astimezone(BEIJING).date()
    issuer = f"{jurisdiction}电子档案系统"
    paragraphs = [
        f"项目：{project_name or '（项目名称暂不可读）'}。",
        f"归档信息包：{package_line(package)}。",
        f"检测环节：{STAGES.get(report['stage'], report['stage'])}；"
        f"检测目录版本：{report['catalogue_version']}。",
        f"检测时间：{format_time(made)}（北京时间）；检测人：{report['created_by_name']}。",
        f"总件数：{s.get('item_count')}；总字节数：{s.get('byte_total')}。",
        f"结论：{verdict(report)}（通过{count(s.get('pass'))}项，不通过{count(s.get('fail'))}项，"
        f"未检测{count(s.get('not_run'))}项，待人工确认{count(s.get('manual_pending'))}项）。",
    ]
    if report.get("virus_database") == "test_only":
        paragraphs.append("病毒感染检测只加载了测试样本，不能代替生产病毒库的检测。")
    paragraphs.append(
        "依据DA/T 70-2018《文书类电子档案检测一般要求》。"
        "有否决项不通过或任一项未检测的，不得通过档案验收。"
    )
    return OfficialDocument(
        issuer=issuer,
        mark="电子档案四性检测报告",
        title=f"“{project_name or '项目'}”电子档案四性检测报告",
        recipients=["项目建设单位"],
        paragraphs=paragraphs,
        attachments=[
            Attachment(
                title="检测项目明细",
                paragraphs=[_item(r, titles) for r in report["results"]],
            )
        ],
        signed_on=day,
        printer=issuer,
        printed_on=day,
    )


async def report_names(session: AsyncSession, report: Mapping[str, Any]) -> dict[str, Any]:
    """What names the report's ids as people know them: the project, the package, each 题名."""
    package, _ = await get_package(session, report["package_id"])
    ids = {uuid.UUID(str(i["document_id"])) for i in package.items if i.get("document_id")}
    titles = {
        str(d.id): d.title
        for d in (await session.scalars(sa.select(Document).where(Document.id.in_(ids)))).all()
    }
    project = await session.get(Project, package.project_id)
    return {
        "project_name": project.name if project else "",
        "package": {"created_at": package.created_at, "tar_sm3": package.tar_sm3},
        "titles": titles,
    }


async def report_of_record(
    session: AsyncSession, report: Mapping[str, Any], *, tenant: str
) -> OfficialDocument:
    """The report as the document ``tenant``'s electronic archive signs (PDF and filing)."""
    place = await session.scalar(sa.select(tenants.c.name).where(tenants.c.code == tenant))
    names = await report_names(session, report)
    return compose_report(report, jurisdiction=place or "", **names)


async def file_with_decision(
    session: AsyncSession,
    report: Mapping[str, Any],
    *,
    tenant: str,
    project_id: uuid.UUID,
    decision_id: uuid.UUID,
    actor: Mapping[str, Any],
) -> None:
    """File the report a 档案验收 rests on in the project's archive, as the issuers' documents are.

    Noted in the decision's transaction (the archive issues it: no event to wait for),
    then typeset and deposited by the same worker (:mod:`services.archive.documents.official`).
    """
    await record_issued(
        session,
        document_id=uuid.UUID(str(report["id"])),
        tenant=tenant,
        project_id=project_id,
        kind="check_report",
        content=await report_of_record(session, report, tenant=tenant),
        actor=actor,
        source_event_id=f"archive-acceptance:{decision_id}",
    )
