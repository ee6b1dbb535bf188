"""The policy checks on budget lines, operations, adjustments and surplus (pure functions).

Every cap comes from the project's decision (the approval service evaluated the
pack in force on its submitted_on and sent the whole decision in
``project.decided.v1``): requirements and time limits carry their article, so a
refusal cites exactly what the pack says. Nothing here hard-codes a number
that a pack holds.

- Lines that count in the total (``INVESTMENT``): their sum may not exceed the
  approved total investment (郁南 第十六条第（三）项: 监理费用、第三方测试费用和安全
  评估费用纳入总投资; the approval's own article for the total).
- ``operations`` per year (莱州 第二十九条, time limits ``free_maintenance_min`` and
  ``maintenance_cost_cap``): nothing in the free period; then at most the ratio of
  the 建设总投入 a year.
- Adjustments (``adjustment_limit``; 莱州 第十九条第二款 ``until: procuring``): before procurement only where the pack says so, and
  all adjustments together at most the ratio of the 概算总投资.
- New fiscal funds (潮州 第十三条, requirement ``finance_opinion_before_application``):
  a ``new_fiscal`` line needs the finance office's opinion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from libs.common.errors import Problem
from libs.vocab import format_amount

__all__ = [
    "INVESTMENT",
    "LINE_KINDS",
    "Violation",
    "adjustment_cap",
    "check_adjustment",
    "check_investment_total",
    "check_new_fiscal",
    "check_operations",
    "requirement",
    "time_limit",
]

INVESTMENT = ("construction", "supervision", "third_party_testing", "security_assessment")
LINE_KINDS = (*INVESTMENT, "operations")


@dataclass
class Violation:
    """A rule of the pack the request breaks: refused with the article(s)."""

    code: str
    title: str
    detail: str
    articles: list[str] = field(default_factory=list)
    explanation: str | None = None

    def members(self, policy: dict[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "article": self.articles[0] if self.articles else None,
            "articles": self.articles,
        }
        if self.explanation:
            out["explanation"] = self.explanation
        if policy:
            out["policy"] = {k: policy.get(k) for k in ("id", "document", "sha256")}
        return out

    def error(self, decision: dict[str, Any]) -> Problem:
        """The refusal: 422 naming the rule's article(s) and the policy of ``decision``."""
        policy: dict[str, Any] | None = decision.get("policy")
        return Problem(422, self.code, self.title, self.detail, extra=self.members(policy))


def requirement(decision: dict[str, Any], code: str) -> dict[str, Any] | None:
    """The decision's requirement ``code`` (a mandatory one first), or None."""
    found = [r for r in decision.get("requirements") or [] if r.get("code") == code]
    found.sort(key=lambda r: not r.get("mandatory", True))
    return found[0] if found else None


def time_limit(decision: dict[str, Any], code: str) -> dict[str, Any] | None:
    """The decision's time limit ``code`` (caps are time limits with a ratio), or None."""
    for item in decision.get("time_limits") or []:
        if item.get("code") == code:
            return dict(item)
    return None


def share(total: int, ratio: str | float | int) -> int:
    """``total × ratio`` rounded down to a whole yuan (不超过: the cap itself is allowed)."""
    return int((Decimal(total) * Decimal(str(ratio))).to_integral_value(rounding=ROUND_FLOOR))


def _percent(ratio: str | float | int) -> str:
    return f"{(Decimal(str(ratio)) * 100).normalize():f}%"


_PERIOD_RE = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?$")


def _years(period: str) -> int:
    """Whole years a ``PnY`` / ``PnM`` period covers (a part year counts as a year)."""
    m = _PERIOD_RE.fullmatch(period)
    if not m:
        raise ValueError(f"not a year/month period: {period}")
    months = int(m.group(1) or 0) * 12 + int(m.group(2) or 0)
    return -(-months // 12)


def check_investment_total(
    decision: dict[str, Any],
    *,
    total: int,
    lines_total: int,
    approval_article: str | None,
) -> Violation | None:
    """The investment lines together may not pass the (approved) total investment."""
    if lines_total <= total:
        return None
    articles: list[str] = []
    explanation = None
    # 安全评估 first: in 郁南 the sentence 纳入总投资 closes its item (第十六条第（三）项).
    for code in reversed(INVESTMENT[1:]):
        req = requirement(decision, code)
        # The pack says which costs are 纳入总投资 (郁南 第十六条第（三）项); cite it.
        cited = req is not None and "纳入总投资" in (req.get("explanation") or "")
        if req is not None and cited and req["article"] not in articles:
            articles.append(req["article"])
            explanation = req.get("explanation")
    route_article = approval_article or (decision.get("route") or {}).get("article")
    if route_article and route_article not in articles:
        articles.append(route_article)
    return Violation(
        "budget_exceeds_total",
        "预算科目合计超过项目总投资",
        f"建设、监理、第三方测试、安全评估等科目合计{format_amount(lines_total)}，"
        f"超过项目总投资{format_amount(total)}",
        articles,
        explanation,
    )


def check_operations(
    decision: dict[str, Any], *, service_year: int | None, amount: int, construction_total: int
) -> Violation | None:
    """莱州 第二十九条: no paid operations in the free period; then ≤ ratio × 建设总投入 a year."""
    free = time_limit(decision, "free_maintenance_min")
    if free and free.get("period") and amount > 0:
        years = _years(str(free["period"]))
        if service_year is None:
            return Violation(
                "operations_year_required",
                "运维费用须注明运维年度",
                f"本项目约定免费运维期不少于{years}年，运维费用须注明验收后第几年（service_year）",
                [free["article"]],
                free.get("explanation"),
            )
        if service_year <= years:
            return Violation(
                "operations_in_free_period",
                "免费运维期内不得安排运维费用",
                f"验收后第{service_year}年仍在不少于{years}年的免费运维期内",
                [free["article"]],
                free.get("explanation"),
            )
    cap = time_limit(decision, "maintenance_cost_cap")
    if cap and cap.get("ratio") is not None:
        limit = share(construction_total, cap["ratio"])
        if amount > limit:
            return Violation(
                "operations_over_cap",
                "年运维费用超过上限",
                f"年运维费用{format_amount(amount)}超过建设总投入{format_amount(construction_total)}的"
                f"{_percent(cap['ratio'])}（{format_amount(limit)}）",
                [cap["article"]],
                cap.get("explanation"),
            )
    return None


def adjustment_cap(
    decision: dict[str, Any], total: int
) -> tuple[int | None, dict[str, Any] | None]:
    """(the most all adjustments together may move, the time limit) or (None, None)."""
    limit = time_limit(decision, "adjustment_limit")
    if not limit or limit.get("ratio") is None:
        return None, None
    return share(total, limit["ratio"]), limit


def check_adjustment(
    decision: dict[str, Any], *, total: int, adjusted_before: int, amount: int, status: str
) -> Violation | None:
    """莱州 第十九条第二款: before procurement, and together ≤ ratio × 概算总投资."""
    cap, limit = adjustment_cap(decision, total)
    if cap is None or limit is None:
        return None
    # Only where the pack says so (莱州 第十九条第二款 "在采购前": until procuring);
    # 潮州 第二十条 and 坡头 第二十一条 set no such moment.
    if limit.get("until") == "procuring" and status not in ("approved", "filed"):
        return Violation(
            "adjustment_after_procurement",
            "采购启动后不能由建设单位自行调整",
            "具体建设内容确需调整的，须在采购前申请；现应按有关规定履行项目申报和预算调整手续",
            [limit["article"]],
            limit.get("explanation"),
        )
    if adjusted_before + amount > cap:
        return Violation(
            "adjustment_over_limit",
            "资金调整数额超过自行调整上限",
            f"累计资金调整{format_amount(adjusted_before + amount)}超过概算总投资{format_amount(total)}的"
            f"{_percent(limit['ratio'])}（{format_amount(cap)}），应按有关规定履行项目申报和预算调整手续",
            [limit["article"]],
            limit.get("explanation"),
        )
    return None


def check_new_fiscal(
    decision: dict[str, Any], *, funding: str, opinion_document: object | None
) -> Violation | None:
    """潮州 第十三条: 涉及财政新增资金的项目……应在申请立项或备案前征求本级财政部门意见."""
    if funding != "new_fiscal" or opinion_document is not None:
        return None
    req = requirement(decision, "finance_opinion_before_application")
    if req is None:
        return None
    return Violation(
        "finance_opinion_missing",
        "涉及财政新增资金的预算须附财政部门意见",
        "funding 为 new_fiscal 的科目须提供 finance_opinion_document_id（申请前征求的财政部门意见）",
        [req["article"]],
        req.get("explanation"),
    )
