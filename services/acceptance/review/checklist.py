"""The pre-acceptance checklist (验收前置审核 / 符合性审查) made from a project's decision.

Nothing here is a rule of its own: every item, its article and whether it is
mandatory come from the decision's ``requirements`` (the policy pack judged
them). This module only says which requirement codes are *proof to show before
acceptance* and what kind of archive document proves each:

- ``supervision`` 监理 → a 监理报告 (``supervision_report``);
- ``third_party_testing`` 第三方测试 / 验收测评 → a 测试/测评报告 (``test_report``);
- ``security_assessment`` 安全评估 / 等保测评 → ``security_assessment_report``;
- ``data_resource_catalog`` 数据资源编目、共享 → any archived document (a registration
  receipt, a catalogue extract: the archive has no narrower type for it);
- ``ipv6_support`` 支持 IPv6 → any archived document (a test record, a statement);
- ``archive_acceptance`` 档案验收 → the archive's own acceptance decision (passed),
  which the unit cannot tick: only ``govproj.archive.acceptance.passed.v1`` does.

Requirements of the planning and approval stages were checked before the
project was approved; ``post`` ones (periodic security assessment, evaluations)
come after acceptance. So only ``implementation`` and ``acceptance`` stages
give checklist items (``data_resource_catalog`` of the planning stage is the
申报 precondition, not the 验收 one).

Whether a reviewer must pass the checklist before acceptance is also the
decision's: a ``conformity_review`` requirement (郁南 第二十一条, 潮州 第二十一条,
坡头 第二十二条: 立项审批的专业类项目) makes it the bureau's review; without one
(备案制专业类项目 "无需进行符合性审查", or Laizhou, whose 第二十三条 asks for the
reports but no prior review) the unit checks its own list, and acceptance
still cannot pass while a mandatory item lacks its proof.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = [
    "EVIDENCE",
    "Evidence",
    "ReviewPlan",
    "apply_archive",
    "build_items",
    "missing",
    "plan_review",
]

Gate = Literal["review", "acceptance"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What proves a checklist code: its label and the archive document types that count."""

    label: str
    doc_types: frozenset[str] | None  # None: any archived document of the project's tenant
    # 档案验收 is proved by the archive's decision, never by a document the unit names.
    archive_decision: bool = False
    # 坡头 第二十三条 "未进行档案验收或者档案验收不合格的，不得通过项目验收": a gate of
    # the acceptance itself, not of the conformity review that comes before it.
    gate: Gate = "review"


EVIDENCE: Final[Mapping[str, Evidence]] = {
    "supervision": Evidence("监理报告", frozenset({"supervision_report"})),
    "third_party_testing": Evidence("第三方测试（验收测评）报告", frozenset({"test_report"})),
    "security_assessment": Evidence(
        "安全评估（等级保护测评）报告", frozenset({"security_assessment_report"})
    ),
    "data_resource_catalog": Evidence("数据资源编目与共享证明", None),
    "ipv6_support": Evidence("支持IPv6的证明", None),
    "archive_acceptance": Evidence("档案验收通过", None, archive_decision=True, gate="acceptance"),
}
STAGES: Final[frozenset[str]] = frozenset({"implementation", "acceptance"})


def build_items(requirements: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One checklist item per evidence code the decision names, in the decision's order.

    Several requirements with one code (郁南: 第三方测试 by amount in 第十六条 and as part
    of acceptance in 第二十二条) make one item: mandatory when any of them is, citing all.
    """
    items: dict[str, dict[str, Any]] = {}
    for req in requirements:
        code = str(req.get("code"))
        if code not in EVIDENCE or req.get("stage") not in STAGES:
            continue
        evidence = EVIDENCE[code]
        item = items.get(code)
        citation = {
            "article": req.get("article"),
            "mandatory": bool(req.get("mandatory", True)),
            "explanation": req.get("explanation"),
        }
        if item is None:
            items[code] = {
                "code": code,
                "label": evidence.label,
                "mandatory": citation["mandatory"],
                "gate": evidence.gate,
                "doc_types": sorted(evidence.doc_types) if evidence.doc_types else None,
                "archive_decision": evidence.archive_decision,
                "citations": [citation],
                "evidence_document_ids": [],
                "archive_acceptance_id": None,
                "satisfied": False,
            }
        else:
            item["mandatory"] = item["mandatory"] or citation["mandatory"]
            if citation not in item["citations"]:
                item["citations"].append(citation)
    return list(items.values())


def missing(items: Sequence[Mapping[str, Any]], gate: Gate) -> list[Mapping[str, Any]]:
    """Mandatory items still without proof that block ``gate`` (acceptance: all of them)."""
    return [
        i
        for i in items
        if i["mandatory"] and not i["satisfied"] and (gate == "acceptance" or i["gate"] == gate)
    ]


@dataclass(frozen=True, slots=True)
class ReviewPlan:
    """Who passes the pre-acceptance review, and under which article."""

    mode: Literal["conformity_review", "self_check"]
    reviewer_role: str
    article: str | None
    explanation: str | None
    # Who organises and records the acceptance (公共类: the bureau; 专业类: the unit).
    acceptance_role: str
    acceptance_article: str | None
    acceptance_explanation: str | None
    expert_review_article: str | None = None
    # Where the unit sends its acceptance report (郁南 第二十一条 "报送县政务和数据局备案").
    report_to: str | None = None


def _first(requirements: Sequence[Mapping[str, Any]], code: str) -> Mapping[str, Any] | None:
    found = [r for r in requirements if r.get("code") == code and r.get("mandatory", True)]
    return min(found, key=lambda r: int(r.get("order") or 0)) if found else None


def plan_review(requirements: Sequence[Mapping[str, Any]]) -> ReviewPlan:
    """The review and acceptance roles the decision gives (see the module docstring)."""
    conformity = _first(requirements, "conformity_review")
    acceptance = _first(requirements, "acceptance")
    expert = next(
        (
            r
            for r in requirements
            if r.get("code") == "expert_review" and r.get("stage") == "acceptance"
        ),
        None,
    )
    acceptance_role = str(acceptance.get("actor")) if acceptance else "unit_officer"
    if conformity is not None:
        return ReviewPlan(
            mode="conformity_review",
            # "经{authority}审核通过后方可组织验收": the bureau passes it; the unit asks.
            reviewer_role="bureau_officer",
            article=str(conformity.get("article")),
            explanation=conformity.get("explanation"),
            acceptance_role=acceptance_role,
            acceptance_article=str(acceptance.get("article")) if acceptance else None,
            acceptance_explanation=acceptance.get("explanation") if acceptance else None,
            expert_review_article=str(expert.get("article")) if expert else None,
            report_to=_report_to(acceptance),
        )
    return ReviewPlan(
        mode="self_check",
        reviewer_role=acceptance_role,
        article=str(acceptance.get("article")) if acceptance else None,
        explanation=acceptance.get("explanation") if acceptance else None,
        acceptance_role=acceptance_role,
        acceptance_article=str(acceptance.get("article")) if acceptance else None,
        acceptance_explanation=acceptance.get("explanation") if acceptance else None,
        expert_review_article=str(expert.get("article")) if expert else None,
        report_to=_report_to(acceptance),
    )


def _report_to(acceptance: Mapping[str, Any] | None) -> str | None:
    """The authority a unit-organised acceptance reports to (none when the bureau holds it)."""
    if acceptance is None or acceptance.get("actor") != "unit_officer":
        return None
    authority = acceptance.get("authority")
    return str(authority) if authority else None


def apply_archive(item: Mapping[str, Any], archive: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``archive_acceptance`` item as the project's latest 档案验收 makes it (others unchanged).

    Only the archive's decision ticks it (坡头 第二十三条); a failed one unticks it.
    """
    if not item.get("archive_decision"):
        return dict(item)
    archive = archive or {}
    return {
        **item,
        "satisfied": archive.get("outcome") == "passed",
        "archive_acceptance_id": archive.get("acceptance_id"),
        "archive_outcome": archive.get("outcome"),
        "evidence_document_ids": [],
    }
