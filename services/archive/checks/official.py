"""The 四性检测 report as a document in the layout of GB/T 9704-2012 (issue 18), for PDF.

The report is a record the archive makes, not a 公文 an authority issues: it has
no 发文字号 (nobody registered one, and a number we made up would read as a
real 文号 in the archive), so the 版头 is the neutral "电子档案四性检测报告" and
the signature is the jurisdiction's electronic archive, the only issuer the
archive service knows (its tenant's name). The content is the printable
report's (:mod:`services.archive.checks.report`), item by item in an attachment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from libs.gongwen import Attachment, OfficialDocument
from libs.vocab import BEIJING, format_time
from services.archive.checks.report import count, named, package_line, verdict
from services.archive.vocab import OUTCOMES, PROPERTIES, STAGES

__all__ = ["compose_report"]

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
        f"检测时间：{format_time(made)}（北京时间）；检测人：{report['created_by']}。",
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
