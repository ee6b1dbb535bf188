"""A decision as Chinese text, for ``govproj policy explain`` and for reviewers."""

from __future__ import annotations

from libs.policy.decision import Decision, TimeLimitOutcome
from libs.policy.render import format_value
from libs.vocab import (
    BASE_LABELS,
    FROM_LABELS,
    REQUIREMENT_LABELS,
    ROLE_BODIES,
    ROUTE_LABELS,
    STAGE_LABELS,
    TIME_LIMIT_LABELS,
)

__all__ = ["decision_text"]

_STATUS = {"in_force": "现行有效", "draft": "征求意见稿（未生效）", "repealed": "已废止"}


def decision_text(decision: Decision) -> str:
    """Render a decision as a multi-line Chinese explanation, citing every article."""
    d = decision
    lines = [
        f"政策判定（租户 {d.tenant}，判定日期 {d.evaluated_on.isoformat()}）",
        f"适用政策：{d.policy.document}"
        f"（{d.policy.id}，{_STATUS.get(d.policy.status, d.policy.status)}）",
    ]
    if d.provisional:
        lines.append("注意：本判定为暂定结论，仅供参考。")
        lines.extend(f"  - {reason}" for reason in d.provisional_reasons)
    route = ROUTE_LABELS.get(d.route.code, d.route.code)
    lines.append(f"管理方式：{route}" + (f"（{d.route.authority}）" if d.route.authority else ""))
    lines.append(f"  {d.route.explanation}")
    if d.route.options:
        chosen = "、".join(ROUTE_LABELS.get(o, o) for o in d.route.options)
        lines.append(f"  建设单位可选择：{chosen}")
    lines.extend(_parameters(d))
    lines.extend(_exceptions(d))
    if d.requirements:
        lines.append("须满足的要求：")
        for i, r in enumerate(d.requirements, 1):
            label = REQUIREMENT_LABELS.get(r.code, r.code)
            who = r.authority or ROLE_BODIES.get(r.actor, r.actor)
            duty = "必须" if r.mandatory else "按需"
            if r.waivable_by is not None:
                duty = "原则上"
            if r.also:
                who += "、" + "、".join(r.also)
            lines.append(f"  {i}. 【{duty}】{label}（{STAGE_LABELS.get(r.stage, r.stage)}，{who}）")
            lines.append(f"     {r.explanation}")
    else:
        lines.append("须满足的要求：无")
    if d.time_limits:
        lines.append("时限：")
        for t in d.time_limits:
            label = TIME_LIMIT_LABELS.get(t.code, t.code)
            lines.append(f"  - {label}：{_limit(t)}")
            lines.append(f"    {t.explanation}")
    lines.append("检查记录：")
    for e in d.trace:
        lines.append(f"  {'✓' if e.result else '✗'} {e.rule}（{e.article}）")
    return "\n".join(lines) + "\n"


def _limit(t: TimeLimitOutcome) -> str:
    """A time limit's value with what it counts from, as a person reads it."""
    if t.date is not None and t.from_ == "budget_year":
        # A cut-off for a budget year falls in the year before it (坡头 第十四条
        # "下年度开展的……应于本年度9月底前完成立项").
        value = "预算年度前一年" + format_value(t.date, "month_day")
        return value + (f"，至{FROM_LABELS.get(t.until, t.until)}为止" if t.until else "")
    if t.period is not None:
        value = format_value(t.period, "period")
        if t.working_days:
            value = value.replace("日", "个工作日")
    elif t.date is not None:
        value = "每年" + format_value(t.date, "month_day")
    elif t.ratio is not None:
        value = format_value(t.ratio, "ratio")
        if t.base:
            value = f"{BASE_LABELS.get(t.base, t.base)}的{value}"
    else:
        value = format_value(t.amount, "amount")
    if t.minimum:
        value = "不少于" + value
    start = f"自{FROM_LABELS.get(t.from_, t.from_)}起" if t.from_ else ""
    end = f"，至{FROM_LABELS.get(t.until, t.until)}为止" if t.until else ""
    return start + value + end


def _parameters(d: Decision) -> list[str]:
    lines = []
    for p in d.parameters:
        if p.value is None:
            lines.append(f"  参数：{p.label}（{p.article}）尚未由{p.set_by}设定")
        else:
            shown = format_value(p.value, "amount") if type(p.value) is int else str(p.value)
            when = p.document_date.isoformat() if p.document_date else ""
            lines.append(f"  参数：{p.label}{shown}（{p.set_by}{p.document}，{when}；{p.article}）")
    return lines


def _exceptions(d: Decision) -> list[str]:
    return [
        f"  例外：{e.authority}于{e.granted_on.isoformat()}决定不适用{e.article}，理由：{e.reason}"
        for e in d.exceptions
    ]
