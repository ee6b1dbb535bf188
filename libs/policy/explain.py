"""A decision as Chinese text, for ``govproj policy explain`` and for reviewers."""

from __future__ import annotations

from libs.policy.decision import Decision
from libs.policy.render import format_value
from libs.policy.vocab import (
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
        lines.append("注意：该政策尚未正式生效，本判定为暂定结论，仅供参考。")
    route = ROUTE_LABELS.get(d.route.code, d.route.code)
    lines.append(f"管理方式：{route}" + (f"（{d.route.authority}）" if d.route.authority else ""))
    lines.append(f"  {d.route.explanation}")
    if d.requirements:
        lines.append("须满足的要求：")
        for i, r in enumerate(d.requirements, 1):
            label = REQUIREMENT_LABELS.get(r.code, r.code)
            who = r.authority or ROLE_BODIES.get(r.actor, r.actor)
            duty = "必须" if r.mandatory else "按需"
            lines.append(f"  {i}. 【{duty}】{label}（{STAGE_LABELS.get(r.stage, r.stage)}，{who}）")
            lines.append(f"     {r.explanation}")
    else:
        lines.append("须满足的要求：无")
    if d.time_limits:
        lines.append("时限：")
        for t in d.time_limits:
            label = TIME_LIMIT_LABELS.get(t.code, t.code)
            if t.period is not None:
                value = format_value(t.period, "period")
                if t.working_days:
                    value = value.replace("日", "个工作日")
            elif t.date is not None:
                value = "每年" + format_value(t.date, "month_day")
            elif t.ratio is not None:
                value = format_value(t.ratio, "ratio")
            else:
                value = format_value(t.amount, "amount")
            start = f"自{FROM_LABELS.get(t.from_, t.from_)}起" if t.from_ else ""
            lines.append(f"  - {label}：{start}{value}")
            lines.append(f"    {t.explanation}")
    lines.append("检查记录：")
    for e in d.trace:
        lines.append(f"  {'✓' if e.result else '✗'} {e.rule}（{e.article}）")
    return "\n".join(lines) + "\n"
