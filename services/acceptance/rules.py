"""What every acceptance step checks first, whatever its aggregate: state, role, dates.

Each refusal is a domain error (libs/common/errors.py) naming the field: 409 for
a state that does not allow the step, 403 for a role the decision does not
give the step to, 422 for a date out of bounds. Who may act on which project
(jurisdiction, unit) is not decided here but by ``Access.check`` (ADR 0008).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from libs.common.auth import AuthSubject
from libs.common.deadlines import today_in_china
from libs.common.errors import Conflict, Forbidden, Invalid
from libs.vocab import label
from services.acceptance.models import Project

__all__ = ["check_date", "now", "require_role", "require_state", "requirements"]


def now() -> datetime:
    """The instant a row records (UTC; shown in Asia/Shanghai)."""
    return datetime.now(UTC)


def _label(state: str) -> str:
    # The one vocabulary (libs/vocab): never a raw code in front of a person.
    return label("state", state)


def require_state(project: Project, *states: str) -> None:
    """409 unless the project is in one of ``states`` (as the registry last reported it)."""
    if project.state not in states:
        wanted = "、".join(f"「{_label(s)}」" for s in states)
        raise Conflict(
            "illegal_state",
            "当前状态不允许此操作",
            f"state: 项目处于「{_label(project.state)}」（{project.state}），"
            f"此操作要求项目处于{wanted}",
        )


def require_role(subject: AuthSubject, role: str, article: str | None) -> None:
    """403 unless the caller holds the role the decision gives this step (citing its article)."""
    if not subject.has_role(role):
        raise Forbidden(
            f"roles: 依据{article or '政策判定'}，此步骤由 {role} 执行",
            code="forbidden_role",
            required_roles=[role],
        )


def check_date(field: str, value: date, *, not_before: date | None = None) -> None:
    """422 naming ``field`` for a day after today (China) or before ``not_before``."""
    if value > today_in_china():
        raise Invalid(field, "不得晚于今天")
    if not_before is not None and value < not_before:
        raise Invalid(field, f"不得早于 {not_before.isoformat()}")


def requirements(project: Project) -> list[Mapping[str, Any]]:
    """The requirements of the project's decision (the policy pack's judgement, with articles)."""
    return list((project.decision or {}).get("requirements") or [])
