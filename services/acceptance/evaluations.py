"""Reports after acceptance and the 双随机 draw of the post-evaluation.

Kinds of report (each an archive document, each citing the decision's article):

- ``self_evaluation`` 应用效果自评价 (郁南 第二十三条, 坡头 第二十四条, 莱州 第三十四条):
  the unit, once the system runs; in_operation → evaluated; meets ``self_evaluation_due``.
- ``performance_evaluation`` 绩效评价 (莱州 第二十四条 during construction, 郁南/坡头
  after acceptance): the unit; meets ``performance_report_due``.
- ``post_evaluation`` 绩效后评估 of a drawn project (莱州 第三十四条): the bureau or finance,
  naming the draw that picked the project.
- ``standard`` the published 工程标准或团体标准 (莱州 第十五条): meets ``standard_due``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from libs.common.errors import Problem
from libs.common.events import emit
from services.acceptance import draw as drawing
from services.acceptance.guards import check_date, project_data, require_state, requirements
from services.acceptance.models import Document, Draw, Evaluation, Project
from services.acceptance.records import SERVICE, meet_deadline, now

#: kind → (requirement code in the decision, states allowed, roles allowed, document types).
KINDS: Final[Mapping[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    "self_evaluation": (
        "self_evaluation",
        ("in_operation", "evaluated"),
        ("unit_officer",),
        ("evaluation_report",),
    ),
    "performance_evaluation": (
        "performance_evaluation",
        ("implementing", "completed", "acceptance_review", "accepted", "in_operation", "evaluated"),
        ("unit_officer",),
        ("evaluation_report",),
    ),
    "post_evaluation": (
        "performance_evaluation",
        ("accepted", "in_operation", "evaluated"),
        ("bureau_officer", "finance_officer"),
        ("evaluation_report",),
    ),
    "standard": (
        "standard_authoring",
        ("accepted", "in_operation", "evaluated"),
        ("unit_officer",),
        ("other",),
    ),
}
#: The lifecycle states of a project that has been accepted (the post-evaluation pool).
ACCEPTED_STATES: Final[tuple[str, ...]] = ("accepted", "in_operation", "evaluated")


def _article(project: Project, code: str, *, post: bool | None = None) -> str | None:
    for req in requirements(project):
        if req.get("code") != code:
            continue
        if post is not None and (req.get("stage") == "post") != post:
            continue
        return str(req.get("article"))
    return None


async def submit_evaluation(
    session: AsyncSession,
    project: Project,
    subject: AuthSubject,
    *,
    kind: str,
    report_document_id: uuid.UUID,
    submitted_on: date,
    summary: str,
    rating: str | None,
    draw_id: uuid.UUID | None,
    actor: dict[str, Any],
) -> Evaluation:
    code, states, roles, doc_types = KINDS[kind]
    if not subject.has_role(*roles):
        raise Problem(
            403, "forbidden_role", "无权执行此操作", f"roles: {kind} 由 {'/'.join(roles)} 提交"
        )
    article = _article(project, code, post=True if kind == "post_evaluation" else None)
    if article is None:
        raise Problem.conflict(
            "not_required",
            "本项目的政策判定未规定此项",
            f"kind: 政策判定中没有 {code} 要求",
        )
    require_state(project, *states)
    check_date("submitted_on", submitted_on)
    doc = await session.get(Document, report_document_id)
    if doc is None or doc.tenant_id != project.tenant_id:
        raise Problem.invalid("report_document_id", f"电子档案中没有文件 {report_document_id}")
    if str(project.id) not in doc.project_ids:
        raise Problem.invalid("report_document_id", f"文件 {report_document_id} 未归入本项目档案")
    if doc.doc_type not in doc_types:
        raise Problem.invalid(
            "report_document_id", f"文件类型为 {doc.doc_type}，须为 {'/'.join(doc_types)}"
        )
    if kind == "post_evaluation":
        picked = await session.get(Draw, draw_id) if draw_id else None
        if picked is None or str(project.id) not in picked.projects:
            raise Problem.invalid("draw_id", "绩效后评估须针对“双随机”抽中的项目（指定抽取记录）")
    row = Evaluation(
        id=uuid.uuid4(),
        tenant_id=project.tenant_id,
        project_id=project.id,
        submission=project.submission,
        kind=kind,
        report_document_id=report_document_id,
        submitted_on=submitted_on,
        summary=summary,
        rating=rating,
        draw_id=draw_id,
        article=article,
        recorded_by=actor,
        recorded_at=now(),
    )
    session.add(row)
    await session.flush()
    data = project_data(
        project,
        evaluation_id=str(row.id),
        kind=kind,
        article=article,
        report_document_id=str(report_document_id),
        submitted_on=submitted_on.isoformat(),
        rating=rating,
        draw_id=str(draw_id) if draw_id else None,
    )
    await emit(
        session,
        tenant=project.tenant_id,
        service=SERVICE,
        aggregate="evaluation",
        event="submitted",
        data=data,
        actor=actor,
    )
    if kind == "self_evaluation" and project.state == "in_operation":
        project.state = "evaluated"
        await emit(
            session,
            tenant=project.tenant_id,
            service=SERVICE,
            aggregate="project",
            event="evaluated",
            data={**data, "reason": f"依据{article}提交应用效果自评价报告"},
            actor=actor,
        )
    if kind != "post_evaluation":
        await meet_deadline(session, project, kind, submitted_on, actor)
    project.updated_at = now()
    return row


def _post_requirement(project: Project) -> Mapping[str, Any] | None:
    """The decision's optional post-stage evaluation by the authorities (the draw's basis)."""
    for req in requirements(project):
        if (
            req.get("code") == "performance_evaluation"
            and req.get("stage") == "post"
            and not req.get("mandatory", True)
            and req.get("actor") in ("bureau_officer", "finance_officer")
        ):
            return req
    return None


async def eligible_pool(session: AsyncSession, tenant: str) -> dict[str, str]:
    """Project id → article: accepted projects of ``tenant`` whose decision allows a post-evaluation."""
    rows = (
        await session.scalars(
            sa.select(Project).where(
                Project.tenant_id == tenant, Project.state.in_(ACCEPTED_STATES)
            )
        )
    ).all()
    pool: dict[str, str] = {}
    for project in rows:
        req = _post_requirement(project)
        if req is not None:
            pool[str(project.id)] = str(req.get("article"))
    return pool


async def make_draw(
    session: AsyncSession,
    *,
    tenant: str,
    year: int,
    count: int,
    project_ids: Sequence[uuid.UUID] | None,
    evaluator_pool: Sequence[str],
    evaluator_count: int,
    seed: str | None,
    actor: dict[str, Any],
) -> Draw:
    eligible = await eligible_pool(session, tenant)
    if project_ids is not None:
        for i, pid in enumerate(project_ids):
            if str(pid) not in eligible:
                raise Problem.invalid(
                    f"project_ids[{i}]",
                    f"项目 {pid} 不在可抽取范围（本辖区已验收且须开展绩效后评估的项目）",
                )
        pool = sorted({str(p) for p in project_ids})
    else:
        pool = sorted(eligible)
    if count > len(pool):
        raise Problem.invalid("count", f"抽取数 {count} 大于项目库数量 {len(pool)}")
    if evaluator_count > len(set(evaluator_pool)):
        raise Problem.invalid("evaluator_count", f"抽取数 {evaluator_count} 大于评估人员库数量")
    result = drawing.draw(seed or drawing.new_seed(), pool, count, evaluator_pool, evaluator_count)
    articles = sorted({eligible[p] for p in pool})
    row = Draw(
        id=uuid.uuid4(),
        tenant_id=tenant,
        year=year,
        seed=result.seed,
        project_pool=result.project_pool,
        projects=result.projects,
        evaluator_pool=result.evaluator_pool,
        evaluators=result.evaluators,
        article="、".join(articles) or None,
        drawn_by=actor,
        drawn_at=now(),
    )
    session.add(row)
    await session.flush()
    await emit(
        session,
        tenant=tenant,
        service=SERVICE,
        aggregate="draw",
        event="drawn",
        data={"tenant": tenant, **draw_dict(row)},
        actor=actor,
    )
    return row


def draw_dict(row: Draw) -> dict[str, Any]:
    return {
        "draw_id": str(row.id),
        "year": row.year,
        "seed": row.seed,
        "method": "sha256(seed|domain|member), smallest first (services/acceptance/draw.py)",
        "project_pool": row.project_pool,
        "projects": row.projects,
        "evaluator_pool": row.evaluator_pool,
        "evaluators": row.evaluators,
        "article": row.article,
        "drawn_by": row.drawn_by,
        "drawn_at": row.drawn_at.isoformat(),
    }


def verify_draw(row: Draw) -> dict[str, Any]:
    """Redo the draw from its recorded seed and pools; say whether it matches."""
    again = drawing.draw(
        row.seed, row.project_pool, len(row.projects), row.evaluator_pool, len(row.evaluators)
    )
    return {
        "draw_id": str(row.id),
        "reproduced": again.projects == row.projects and again.evaluators == row.evaluators,
        "projects": again.projects,
        "evaluators": again.evaluators,
        "within_pool": set(row.projects) <= set(row.project_pool),
    }
