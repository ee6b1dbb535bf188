"""The approval document as an official document (公文, GB/T 9704-2012): what it says.

The approval service decides the wording at the moment of the decision and puts
it in ``project.approved`` / ``project.filed`` (``official``); the archive
typesets that content as PDF and files it, and the console's print view lays
out the same content (:mod:`libs.gongwen`). Every sentence that obliges cites
its article; amounts are 万元 with the 元 figure (``format_amount``).
"""

from __future__ import annotations

import re
from typing import Any

from libs.gongwen import Attachment, OfficialDocument, document_date
from libs.vocab import format_amount, label
from services.approval.models import ApprovalDocument, Workflow

_ORDINALS = "一二三四五六七八九十"
# A level word a pack's authority starts with ("县政务和数据局"): the jurisdiction's name replaces it.
_LEVEL_PREFIXES = ("县", "区", "市", "省")
_TITLE = re.compile(r"《([^》]+)》")


def issuer_name(tenant_name: str | None, authority: str | None) -> str:
    """The bureau's full name: ``郁南县`` + ``县政务和数据局`` → ``郁南县政务和数据局``."""
    place = tenant_name or ""
    if not authority:
        return f"{place}政务服务数据管理局"
    if authority.startswith(_LEVEL_PREFIXES) and not authority.startswith(place or "\0"):
        return place + authority[1:]
    return authority


def _regulation(decision: dict[str, Any]) -> str:
    """《title》（文号）of the pack that judged, as the route's explanation quotes it."""
    route = decision.get("route") or {}
    found = _TITLE.search(str(route.get("explanation") or ""))
    title = f"《{found.group(1)}》" if found else "有关规定"
    number = (decision.get("policy") or {}).get("document")
    return f"{title}（{number}）" if number else title


def _numbered(items: list[str]) -> list[str]:
    return [
        f"{_ORDINALS[i] if i < len(_ORDINALS) else i + 1}、{text}" for i, text in enumerate(items)
    ]


def _items(doc: ApprovalDocument, project: str) -> list[str]:
    approving = doc.kind == "approval"
    items = [
        f"同意{project}立项，核定项目总投资{format_amount(doc.approved_amount)}。"
        if approving
        else f"{project}予以备案，项目总投资{format_amount(doc.approved_amount)}。"
    ]
    if doc.valid_until is not None:
        items.append(
            f"本{'批复' if approving else '确认'}有效期至{document_date(doc.valid_until)}"
            f"（{doc.validity_article}）；逾期未开始采购的，须重新申报。"
        )
    if doc.budget_year is not None:
        items.append(
            f"项目纳入{doc.budget_year}年度预算安排（{doc.cutoff_article}）。"
            if doc.enters_next_year_budget
            else f"项目晚于当年截止日期{'批复' if approving else '备案'}，原则上纳入"
            f"{doc.budget_year}年度预算安排（{doc.cutoff_article}）。"
        )
    if doc.duties:
        duties = "；".join(
            f"{label('requirement', d['code'])}（{d['article']}）" for d in doc.duties
        )
        items.append(f"项目实施中须履行以下要求：{duties}。具体见附件。")
    return items


def compose(
    doc: ApprovalDocument,
    wf: Workflow,
    decision: dict[str, Any],
    *,
    tenant_name: str | None,
    unit_name: str | None,
) -> OfficialDocument:
    """The 立项批复 (``approval``) or 备案确认 (``filing``) of ``wf`` as an official document."""
    route = decision.get("route") or {}
    issuer = issuer_name(tenant_name, route.get("authority"))
    project = f"“{wf.project_name}”项目"
    approving = doc.kind == "approval"
    opening = (
        f"你单位报送的{project}立项申请（申报总投资{format_amount(wf.amount)}）收悉。"
        f"依据{_regulation(decision)}{doc.article}，经审核，现批复如下："
        if approving
        else f"你单位报送的{project}备案材料（申报总投资{format_amount(wf.amount)}）收悉。"
        f"依据{_regulation(decision)}{doc.article}，经审核，现确认如下："
    )
    basis = [str(route.get("explanation") or "")] + [
        f"{label('requirement', d['code'])}：{d['explanation']}" for d in doc.duties
    ]
    return OfficialDocument(
        issuer=issuer,
        mark=f"{issuer}文件",
        number=doc.number,
        title=f"{issuer}关于{project}{'立项的批复' if approving else '备案的确认函'}",
        recipients=[unit_name or "项目建设单位"],
        paragraphs=[
            opening,
            *_numbered(_items(doc, project)),
            "此复。" if approving else "特此函复。",
        ],
        attachments=[
            Attachment(
                title="立项判定依据和项目须履行的要求"
                if approving
                else "备案判定依据和项目须履行的要求",
                paragraphs=[p for p in basis if p],
            )
        ],
        signed_on=doc.approved_on,
        printer=f"{issuer}办公室",
        printed_on=doc.approved_on,
    )
