"""The acceptance record (验收结论) and an evaluation report's cover as documents (issue 18).

Laid out as GB/T 9704-2012 (:mod:`libs.gongwen`), typeset as PDF for download and
carried (``official``) in ``acceptance.recorded`` / ``evaluation.submitted``, from which
the archive files them under the project (services/archive/documents/official.py).
Neither is a 公文 an authority issued: the 验收结论 is what the unit recorded of
the meeting (POST /acceptance), the cover is the first page of the unit's own
report. So there is no 发文字号 (a number we made up would read as a registered
文号), the 版头 says what the page is, and the signature is the platform of the
jurisdiction that holds the record: the acceptance service knows no unit names
(only the registry's unit id), and naming the unit by id would show a code.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.gongwen import OfficialDocument, document_date
from libs.vocab import BEIJING, format_amount, format_time, label
from services.acceptance.completion.schemas import AcceptanceRead
from services.acceptance.evaluations.schemas import EvaluationRead
from services.acceptance.models import tenants

__all__ = ["ProjectFacts", "compose_acceptance", "compose_evaluation_cover", "jurisdiction_of"]


class ProjectFacts(Protocol):
    """What the documents say of the project: the replica row or the record read from it."""

    @property
    def name(self) -> str | None: ...

    @property
    def amount(self) -> int | None: ...


async def jurisdiction_of(session: AsyncSession, tenant: str) -> str | None:
    """The name of the jurisdiction ``tenant`` (the tenant replica), for the signature."""
    return await session.scalar(sa.select(tenants.c.name).where(tenants.c.code == tenant))


def _issuer(jurisdiction: str | None) -> str:
    return f"{jurisdiction or ''}政务信息化项目管理平台"


def _project(record: ProjectFacts) -> str:
    return record.name or "项目名称暂不可读"


def _facts(record: ProjectFacts) -> list[str]:
    return [
        f"项目名称：{_project(record)}。",
        f"项目总投资：{format_amount(record.amount)}。",
    ]


def _document(
    record: ProjectFacts,
    *,
    jurisdiction: str | None,
    mark: str,
    title: str,
    paragraphs: list[str],
    day: date,
    printed_on: date,
) -> OfficialDocument:
    issuer = _issuer(jurisdiction)
    return OfficialDocument(
        issuer=issuer,
        mark=mark,
        title=title,
        recipients=["项目建设单位"],
        paragraphs=paragraphs,
        signed_on=day,
        printer=issuer,
        printed_on=printed_on,
    )


def compose_acceptance(
    record: ProjectFacts, acceptance: AcceptanceRead, *, jurisdiction: str | None
) -> OfficialDocument:
    """The 验收结论 of one acceptance meeting: date, outcome, conclusion, experts, article."""
    experts = [
        f"{o.get('name') or '专家'}：{o.get('opinion') or '（未填写意见）'}"
        for o in acceptance.expert_opinions
    ]
    recorder = acceptance.recorded_by.get("name") or "经办人"
    paragraphs = [
        *_facts(record),
        f"验收日期：{document_date(acceptance.held_on)}。",
        f"验收结论：{label('acceptance_outcome', acceptance.outcome)}。{acceptance.conclusion}",
        *([f"专家意见：{'；'.join(experts)}。"] if experts else []),
        *([f"依据：{acceptance.article}。"] if acceptance.article else []),
        f"本结论由{recorder}于{format_time(acceptance.recorded_at)}（北京时间）录入，"
        "验收报告原件见项目档案。",
    ]
    return _document(
        record,
        jurisdiction=jurisdiction,
        mark="项目验收结论",
        title=f"“{_project(record)}”项目验收结论",
        paragraphs=paragraphs,
        day=acceptance.held_on,
        printed_on=acceptance.recorded_at.astimezone(BEIJING).date(),
    )


def compose_evaluation_cover(
    record: ProjectFacts, evaluation: EvaluationRead, *, jurisdiction: str | None
) -> OfficialDocument:
    """The cover of an evaluation report (自评报告封面): project, kind, date, rating, summary."""
    kind = label("evaluation_kind", evaluation.kind)
    paragraphs = [
        *_facts(record),
        f"评价类型：{kind}。",
        f"报送日期：{document_date(evaluation.submitted_on)}。",
        f"评价等级（得分）：{evaluation.rating or '未评定'}。",
        f"评价摘要：{evaluation.summary}",
        *([f"依据：{evaluation.article}。"] if evaluation.article else []),
        "评价报告正文见项目档案。",
    ]
    return _document(
        record,
        jurisdiction=jurisdiction,
        mark=f"{kind}报告",
        title=f"“{_project(record)}”项目{kind}报告",
        paragraphs=paragraphs,
        day=evaluation.submitted_on,
        printed_on=evaluation.submitted_on,
    )
