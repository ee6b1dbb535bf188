"""The 消息中心's messages: what each kind is called and the sentence a person reads.

A message names its project by name and never carries a code: the facts a
sentence needs (a reason, a step, a due day) are stored with the message and
put into words here, so the console and the e-mail say the same thing
(docs/notifications.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from libs.vocab._label import label

__all__ = ["NOTIFICATION_KINDS", "notification_text"]

NOTIFICATION_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "step_opened": "待办审核",
        "experts_assigned": "专家评审邀请",
        "review_requested": "验收前置审核",
        "project_returned": "退回修改",
        "project_rejected": "不予通过",
        "change_returned": "变更退回",
        "change_rejected": "变更未获批准",
        "acceptance_returned": "验收退回",
        "approval_expired": "批复过期",
        "deadline_reminder": "到期提醒",
        "deadline_overdue": "逾期通知",
        "report_received": "上级已收到报备",
    }
)


def _project(name: object) -> str:
    return f"项目「{name}」" if name else "一个项目"


def _because(reason: object) -> str:
    return f"原因：{reason}" if reason else "请查看项目记录中的原因"


def notification_text(kind: str, project_name: str | None, facts: Mapping[str, Any]) -> str:
    """The Chinese sentence of one message (the project by name, no codes)."""
    project = _project(project_name)
    what = facts.get("route")
    procedure = "备案" if what == "filing" else "立项审批"
    sentences: dict[str, str] = {
        "step_opened": f"{project}的「{label('step', facts.get('step'))}」环节已开始，请及时办理。",
        "experts_assigned": (
            f"您被指派为{project}「{label('step', facts.get('step'))}」的评审专家，请出具评审意见。"
        ),
        "review_requested": (
            f"{project}已申请验收，请办理验收前置审核（{label('review_mode', facts.get('mode'))}）。"
        ),
        "project_returned": f"{project}的{procedure}已退回修改。{_because(facts.get('reason'))}",
        "project_rejected": f"{project}的{procedure}未予通过。{_because(facts.get('reason'))}",
        "change_returned": f"{project}的调整/变更申请已退回修改。{_because(facts.get('reason'))}",
        "change_rejected": f"{project}的调整/变更申请未获批准。{_because(facts.get('reason'))}",
        "acceptance_returned": f"{project}的验收已退回。{_because(facts.get('reason'))}",
        "approval_expired": f"{project}的立项审批意见已过有效期。{_because(facts.get('reason'))}",
        "deadline_reminder": (
            f"{project}的「{label('time_limit', facts.get('deadline'))}」将于"
            f"{facts.get('due_on')}到期，还有{facts.get('days_left')}天，请按期办理。"
        ),
        "deadline_overdue": (
            f"{project}的「{label('time_limit', facts.get('deadline'))}」已于"
            f"{facts.get('due_on')}到期，已逾期{facts.get('days_overdue')}天，请尽快办理。"
        ),
        "report_received": (
            f"上级已收到{project}的批复结果报备（{facts.get('number') or '无文号'}）。"
        ),
    }
    return sentences.get(kind, f"{project}有一条新消息。")
