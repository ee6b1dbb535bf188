"""What every step checks first: the project, the caller, the state, the dates.

A refused check is a problem+json (404 for a project the caller may not see or
write, 403 naming the role or unit, 409 naming the state, 422 naming the field).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from libs.common.deadlines import today_in_china
from libs.common.errors import Problem
from services.acceptance.models import Project

STATE_LABELS = {
    "implementing": "实施中",
    "completed": "已完工",
    "acceptance_review": "验收前置审核",
    "accepted": "已验收",
    "in_operation": "运行中",
    "evaluated": "已自评",
}


async def get_project(
    session: AsyncSession, project_id: uuid.UUID, *, lock: bool = False
) -> Project:
    """A project of a visible tenant that acceptance knows (its decision has arrived)."""
    project = await session.get(Project, project_id, with_for_update=lock or None)
    if project is None or project.decision is None:
        raise Problem.not_found("项目", project_id)
    return project


async def writable(session: AsyncSession, project_id: uuid.UUID, subject: AuthSubject) -> Project:
    """The caller's own-tenant project, locked; a unit officer only for its own unit."""
    project = await get_project(session, project_id, lock=True)
    if project.tenant_id != subject.tenant:
        raise Problem.not_found("项目", project_id)
    if (
        subject.unit_id
        and project.unit_id
        and subject.unit_id != project.unit_id
        and not subject.has_role("bureau_officer")
    ):
        raise Problem(
            403, "other_unit", "无权操作其他建设单位的项目", f"unit_id: 项目属于 {project.unit_id}"
        )
    return project


def require_state(project: Project, *states: str) -> None:
    if project.state not in states:
        wanted = "、".join(f"「{STATE_LABELS.get(s, s)}」" for s in states)
        raise Problem.conflict(
            "illegal_state",
            "当前状态不允许此操作",
            f"state: 项目处于「{STATE_LABELS.get(project.state, project.state)}」（{project.state}），"
            f"此操作要求项目处于{wanted}",
        )


def require_role(subject: AuthSubject, role: str, article: str | None) -> None:
    if not subject.has_role(role):
        raise Problem(
            403,
            "forbidden_role",
            "无权执行此操作",
            f"roles: 依据{article or '政策判定'}，此步骤由 {role} 执行",
        )


def check_date(field: str, value: date, *, not_before: date | None = None) -> None:
    if value > today_in_china():
        raise Problem.invalid(field, "不得晚于今天")
    if not_before is not None and value < not_before:
        raise Problem.invalid(field, f"不得早于 {not_before.isoformat()}")


def project_data(project: Project, **extra: Any) -> dict[str, Any]:
    return {
        "tenant": project.tenant_id,
        "project_id": str(project.id),
        "submission": project.submission,
        "route": project.route,
        **extra,
    }


def requirements(project: Project) -> list[Mapping[str, Any]]:
    return list((project.decision or {}).get("requirements") or [])
