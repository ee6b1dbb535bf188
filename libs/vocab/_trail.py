"""One event of a project's trail as an auditor reads it: a Chinese sentence, its amounts, its article.

``describe_event(type, data)`` turns the data of any platform event into what
the trail page shows beside the time and the actor: the event's label
(:data:`EVENT_LABELS`) completed by the facts that make it this event and not
another of its kind (which step, which conclusion, which state, which file),
never a code or a dotted type; the amounts it carries, each with its Chinese
name (the page formats them in 万元 and 元); and the article it cites, if any.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from libs.vocab._label import label

__all__ = ["TRAIL_AMOUNT_FIELDS", "TrailLine", "actor_name", "describe_event"]

#: Amount fields of event data, in the order a trail row lists them.
TRAIL_AMOUNT_FIELDS: Final[Mapping[str, str]] = {
    "amount": "金额",
    "requested_amount": "申请金额",
    "approved_amount": "核定金额",
    "new_total": "调整后总投资",
    "base_amount": "调整前金额",
    "total_amount": "合计金额",
}

# Free text from events (opinions, reasons) is quoted in full up to this length;
# the trail is a table, the whole text is in the service that holds the record.
_QUOTE_LIMIT: Final = 120


@dataclass(frozen=True, slots=True)
class TrailLine:
    """What a trail row says about one event."""

    sentence: str
    amounts: tuple[tuple[str, int], ...]
    article: str | None


def _quote(text: object) -> str:
    words = str(text or "").strip()
    if not words:
        return ""
    if len(words) > _QUOTE_LIMIT:
        words = words[:_QUOTE_LIMIT] + "…"
    return f"：“{words}”"


def _step(data: Mapping[str, Any]) -> str:
    return f"「{label('step', data.get('code'))}」"


def _state_changed(base: str, data: Mapping[str, Any]) -> str:
    before, after = data.get("from"), data.get("to")
    said = f"项目状态由「{label('state', before)}」变为「{label('state', after)}」"
    return said + _quote(data.get("reason"))


def _submitted(base: str, data: Mapping[str, Any]) -> str:
    return f"{base}（第{data.get('submission', 1)}次申报）"


def _decided(base: str, data: Mapping[str, Any]) -> str:
    return f"{base}：按「{label('route', data.get('route'))}」办理"


def _step_opened(base: str, data: Mapping[str, Any]) -> str:
    return f"审核环节{_step(data)}开始办理"


def _experts_assigned(base: str, data: Mapping[str, Any]) -> str:
    names = [str(e.get("name") or "") for e in data.get("experts") or [] if isinstance(e, Mapping)]
    named = "、".join(n for n in names if n)
    return f"{base}（{_step(data)[1:-1]}）" + (f"：{named}" if named else "")


def _expert_opinion(base: str, data: Mapping[str, Any]) -> str:
    conclusion = label("opinion", data.get("conclusion"))
    return f"{base}（{conclusion}）" + _quote(data.get("opinion"))


def _step_completed(base: str, data: Mapping[str, Any]) -> str:
    outcome = label("opinion", data.get("outcome"))
    return f"审核环节{_step(data)}已办结：{outcome}" + _quote(data.get("opinion"))


def _approved(base: str, data: Mapping[str, Any]) -> str:
    approval = data.get("approval") or {}
    number = approval.get("number") if isinstance(approval, Mapping) else None
    return f"{base}（文号 {number}）" if number else base


def _finance_answer(base: str, data: Mapping[str, Any]) -> str:
    outcome = label("opinion", data.get("outcome"))
    return f"{base}：{outcome}" + _quote(data.get("opinion"))


def _with_reason(base: str, data: Mapping[str, Any]) -> str:
    return base + _quote(data.get("reason"))


def _document(base: str, data: Mapping[str, Any]) -> str:
    title = data.get("title")
    kind = label("document_type", data.get("doc_type")) if data.get("doc_type") else None
    said = f"{base}：《{title}》" if title else base
    return f"{said}（{kind}）" if kind else said


def _package(base: str, data: Mapping[str, Any]) -> str:
    return f"{base}（{data.get('item_count', 0)}份文件）"


def _check(base: str, data: Mapping[str, Any]) -> str:
    verdict = "符合要求" if data.get("acceptable") else "不符合要求"
    return f"{base}（{label('check_stage', data.get('stage'))}）：{verdict}"


def _archive_acceptance(base: str, data: Mapping[str, Any]) -> str:
    return f"{base}（{label('check_stage', data.get('stage'))}，{data.get('item_count', 0)}份文件）"


def _acceptance_outcome(base: str, data: Mapping[str, Any]) -> str:
    outcome = data.get("outcome")
    said = f"{base}：{label('acceptance_outcome', outcome)}" if outcome else base
    return said + _quote(data.get("reason"))


_Detail = Callable[[str, Mapping[str, Any]], str]

# Event types whose label alone would not tell two rows apart.
_DETAILS: Final[Mapping[str, _Detail]] = {
    "govproj.registry.project.state_changed.v1": _state_changed,
    "govproj.registry.project.submitted.v1": _submitted,
    "govproj.approval.project.decided.v1": _decided,
    "govproj.approval.project.approved.v1": _approved,
    "govproj.approval.project.filed.v1": _approved,
    "govproj.approval.project.returned.v1": _with_reason,
    "govproj.approval.project.rejected.v1": _with_reason,
    "govproj.approval.workflow.closed.v1": _with_reason,
    "govproj.approval.step.opened.v1": _step_opened,
    "govproj.approval.step.experts_assigned.v1": _experts_assigned,
    "govproj.approval.step.expert_opinion_recorded.v1": _expert_opinion,
    "govproj.approval.step.completed.v1": _step_completed,
    "govproj.budget.finance_review.completed.v1": _finance_answer,
    "govproj.budget.finance_review.closed.v1": _with_reason,
    "govproj.acceptance.project.review_returned.v1": _with_reason,
    "govproj.acceptance.acceptance.recorded.v1": _acceptance_outcome,
    "govproj.archive.document.uploaded.v1": _document,
    "govproj.archive.package.created.v1": _package,
    "govproj.archive.check_report.completed.v1": _check,
    "govproj.archive.acceptance.passed.v1": _archive_acceptance,
    "govproj.archive.acceptance.failed.v1": _archive_acceptance,
}


def _amounts(data: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    found: dict[str, int] = {}
    approval = data.get("approval")
    sources = [data, approval] if isinstance(approval, Mapping) else [data]
    for source in sources:
        for field, name in TRAIL_AMOUNT_FIELDS.items():
            value = source.get(field)
            # bool is an int in Python; an amount never is one.
            if isinstance(value, int) and not isinstance(value, bool) and name not in found:
                found[name] = value
    return tuple(found.items())


def describe_event(event_type: str, data: Mapping[str, Any]) -> TrailLine:
    """The sentence, amounts and article of one event (any type; unknown ones read neutrally)."""
    base = label("event", event_type)
    detail = _DETAILS.get(event_type)
    sentence = detail(base, data) if detail is not None else base
    article = data.get("article")
    # A state change carries the project's standing total, not an amount it decided.
    standing = event_type == "govproj.registry.project.state_changed.v1"
    return TrailLine(
        sentence=sentence,
        amounts=() if standing else _amounts(data),
        article=str(article) if article else None,
    )


def actor_name(actor: Mapping[str, Any]) -> str:
    """Who did it, as a trail names them: the person's name, or what kind of system acted.

    A system process or an external system (the finance system's answers) has no
    person's name; its roles, shown beside it, say whose system it is.
    """
    kind = actor.get("type")
    if kind == "system":
        return "平台自动处理"
    if kind == "external":
        return "外部业务系统"
    # Never the subject id: with Keycloak it is a UUID, which no one can read.
    return str(actor.get("name") or "（未署名）")
