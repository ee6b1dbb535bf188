"""Deadline routes: the list (own and overseen tenants), the sweep on demand, extensions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from libs.common.deadlines import today_in_china
from libs.common.routes import Cursor, PageLimit, TenantCode, once, paged
from libs.common.service import DbSession, actor_of
from services.acceptance.deadlines import repository, service, sweep
from services.acceptance.deadlines.schemas import (
    DeadlineRead,
    ExtensionCreate,
    ExtensionDecisionCreate,
    ExtensionRead,
    SweepRead,
)
from services.acceptance.deps import (
    PROBLEMS,
    BureauDecider,
    Idem,
    Reader,
    WritableProject,
    project_scope,
)

router = APIRouter(tags=["deadlines"], responses=PROBLEMS)


@router.get(
    "/deadlines",
    response_model=list[DeadlineRead],
    summary="期限（本级及所监督的下级；分页：下一页的游标在 X-Next-Cursor 响应头）",
)
async def list_deadlines(
    access: Reader,
    session: DbSession,
    response: Response,
    status: Annotated[str | None, Query(pattern="^(open|overdue|met)$")] = None,
    late: Annotated[
        bool,
        Query(description="true：只列已过最后期限而未完成的（无论逐日检查是否已标为逾期）"),
    ] = False,
    tenant: TenantCode = None,
    code: Annotated[str | None, Query(max_length=64)] = None,
    project_id: uuid.UUID | None = None,
    sort: Annotated[str, Query(description="due（最后期限升序）或 -due（降序）")] = "due",
    cursor: Cursor = None,
    limit: PageLimit = 200,
) -> list[DeadlineRead]:
    page = await repository.listing(
        session,
        status=status,
        tenant=tenant,
        code=code,
        project_id=project_id,
        limit=limit,
        sort=sort,
        cursor=cursor,
        # Past due as of today in China, counted in SQL: a deadline missed since the last
        # sweep is late already, not only once the sweep has marked it overdue.
        late_on=today_in_china() if late else None,
    )
    return [
        DeadlineRead.model_validate(d).model_copy(update={"project_name": name})
        for d, name in paged(response, page)
    ]


@router.get(
    "/extensions",
    response_model=list[ExtensionRead],
    summary="待决定的延期申请（本级及所监督的下级）",
)
async def requested_extensions(
    access: Reader, session: DbSession, limit: PageLimit = 200
) -> list[ExtensionRead]:
    rows = await repository.requested_extensions(session, limit=limit)
    return [
        ExtensionRead.model_validate(e).model_copy(update={"project_name": name})
        for e, name in rows
    ]


@router.post(
    "/deadlines/sweep",
    response_model=SweepRead,
    summary="立即检查本辖区期限（提醒与逾期，各发一次）",
)
async def sweep_now(access: BureauDecider, session: DbSession, idem: Idem) -> BaseModel | Response:
    # The caller's own jurisdiction only (ADR 0008: writes happen in one's own tenant), in
    # the request's transaction; FOR UPDATE SKIP LOCKED keeps it apart from the worker's.
    tenant = access.subject.tenant

    async def swept() -> SweepRead:
        counts = await sweep.sweep_one(session, tenant, today_in_china(), actor_of(access.subject))
        return SweepRead(tenants=[tenant], sent={tenant: counts} if any(counts.values()) else {})

    return await once(idem, swept)


@router.post(
    "/projects/{project_id}/deadlines/{code}/extensions",
    response_model=ExtensionRead,
    status_code=201,
    summary="延期申请（莱州 第二十三条第二款：延期验收）",
)
async def extend(
    code: str, body: ExtensionCreate, target: WritableProject, idem: Idem, session: DbSession
) -> BaseModel | Response:
    async def requested() -> ExtensionRead:
        ext = await service.request_extension(
            session,
            target.project,
            code=code,
            until=body.until,
            reason=body.reason,
            actor=target.actor,
        )
        return ExtensionRead.model_validate(ext)

    return await once(idem, requested, status=201)


@router.post(
    "/extensions/{extension_id}/decision",
    response_model=ExtensionRead,
    summary="审批延期申请（项目审批部门）",
)
async def decide_extension(
    extension_id: uuid.UUID,
    body: ExtensionDecisionCreate,
    access: BureauDecider,
    session: DbSession,
    idem: Idem,
) -> BaseModel | Response:
    async def decided() -> ExtensionRead:
        ext, project = await service.get_extension(session, extension_id)
        access.check(project_scope(project))
        await service.decide_extension(
            session,
            ext,
            project,
            outcome=body.outcome,
            opinion=body.opinion,
            actor=actor_of(access.subject),
        )
        return ExtensionRead.model_validate(ext)

    return await once(idem, decided)
