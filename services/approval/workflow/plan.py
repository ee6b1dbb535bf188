"""Which steps a decision prescribes, in the order its articles give (pure: no I/O).

The decision's mandatory requirements of the planning and approval stages become
steps, sorted by stage, then by the order the pack gives; the bureau's approval
(立项批复) or filing acknowledgement (备案确认) closes the workflow. Reporting the
result up (``report_to_parent``) is not a step: it happens once the result
exists (see :mod:`services.approval.workflow.reports`). Routes with nothing to
review close at once, with the route's explanation as the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

#: Routes that run a review; every other route closes the workflow at once.
REVIEWED_ROUTES: Final = frozenset({"approval", "filing", "government_investment"})
_STAGES: Final = ("planning", "approval")
#: Done after the result exists, not as a step of the review.
_AFTER_RESULT: Final = frozenset({"report_to_parent"})

#: Step codes beyond the requirement codes of vocabulary.md (docs/vocabulary-extensions.md).
FINAL_STEP: Final = {
    "approval": ("approval_decision", "立项批复"),
    "government_investment": ("approval_decision", "立项批复"),
    "filing": ("filing_acknowledgement", "备案确认"),
}


@dataclass(frozen=True, slots=True)
class PlannedStep:
    code: str
    role: str
    article: str
    explanation: str


def planned_steps(decision: dict[str, Any]) -> list[PlannedStep]:
    """The steps of the review ``decision`` prescribes; empty when its route needs none."""
    route = decision["route"]
    if route["code"] not in REVIEWED_ROUTES:
        return []
    indexed = [
        (i, r)
        for i, r in enumerate(decision["requirements"])
        if r["mandatory"] and r["stage"] in _STAGES and r["code"] not in _AFTER_RESULT
    ]
    indexed.sort(key=lambda ir: (_STAGES.index(ir[1]["stage"]), ir[1]["order"], ir[0]))
    steps = [
        PlannedStep(
            code=r["code"], role=r["actor"], article=r["article"], explanation=r["explanation"]
        )
        for _, r in indexed
    ]
    code, label = FINAL_STEP[route["code"]]
    authority = route.get("authority") or "主管部门"
    steps.append(
        PlannedStep(
            code=code,
            role="bureau_officer",
            article=route["article"],
            explanation=f"{authority}{label}：{route['explanation']}",
        )
    )
    return steps


def after_result(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """The mandatory duties to carry out once approved or filed (e.g. 第十四条 report to the city)."""
    return [r for r in decision["requirements"] if r["mandatory"] and r["code"] in _AFTER_RESULT]


def duties(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """The duties the project carries into implementation, acceptance and after (for the approval document)."""
    return [
        {
            "code": r["code"],
            "stage": r["stage"],
            "actor": r["actor"],
            "article": r["article"],
            "explanation": r["explanation"],
        }
        for r in decision["requirements"]
        if r["mandatory"] and r["stage"] not in _STAGES
    ]


def time_limit(decision: dict[str, Any], code: str) -> dict[str, Any] | None:
    """The decision's time limit ``code`` (e.g. ``approval_validity``), if it has one."""
    for t in decision["time_limits"]:
        if t["code"] == code:
            return dict(t)
    return None
