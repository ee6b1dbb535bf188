"""Registry routes: /v1/tenants (the tree), /v1/units (建设单位); the domains' routers join here."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from libs.common.auth import AuthSubject, CurrentSubject, require_roles
from libs.common.errors import Problem
from libs.common.http import etag, parse_if_match, problem_responses
from libs.common.service import DbSession, actor_of
from services.registry import service
from services.registry.catalog.api import router as catalog_router
from services.registry.oversight import router as oversight_router
from services.registry.plans.api import router as plans_router
from services.registry.projects.api import router as projects_router
from services.registry.schemas import TenantCreate, TenantRead, TenantUpdate, UnitCreate, UnitRead

router = APIRouter(prefix="/v1")

PROBLEMS = problem_responses()


def _readable_tenants(request: Request, subject: AuthSubject) -> set[str] | None:
    """None means all (platform admin). Others: what they oversee, plus the chain above them."""
    if "platform_admin" in subject.roles:
        return None
    tree = request.app.state.tenant_tree
    return set(subject.visible_tenants) | set(tree.ancestors(subject.tenant))


@router.get(
    "/tenants",
    response_model=list[TenantRead],
    tags=["tenants"],
    summary="行政区划（租户）列表",
    responses=PROBLEMS,
)
async def list_tenants(
    request: Request, subject: CurrentSubject, session: DbSession
) -> list[dict[str, object]]:
    return await service.list_tenants(session, codes=_readable_tenants(request, subject))


@router.get(
    "/tenants/{code}",
    response_model=TenantRead,
    tags=["tenants"],
    summary="查看行政区划",
    responses=PROBLEMS,
)
async def get_tenant(
    code: str, request: Request, response: Response, subject: CurrentSubject, session: DbSession
) -> dict[str, object]:
    readable = _readable_tenants(request, subject)
    row = await service.get_tenant_row(session, code)
    if row is None or (readable is not None and code not in readable):
        raise Problem.not_found("行政区划", code)
    response.headers["ETag"] = etag(row["version"])
    return row


@router.post(
    "/tenants",
    response_model=TenantRead,
    status_code=201,
    tags=["tenants"],
    summary="新增行政区划（平台管理员）",
    responses=PROBLEMS,
)
async def create_tenant(
    body: TenantCreate,
    response: Response,
    session: DbSession,
    subject: Annotated[AuthSubject, Depends(require_roles("platform_admin"))],
) -> dict[str, object]:
    row = await service.create_tenant(
        session,
        code=body.code,
        name=body.name,
        level=body.level,
        parent_code=body.parent_code,
        actor=actor_of(subject),
    )
    response.headers["ETag"] = etag(row["version"])
    response.headers["Location"] = f"/v1/tenants/{body.code}"
    return row


@router.patch(
    "/tenants/{code}",
    response_model=TenantRead,
    tags=["tenants"],
    summary="修改行政区划名称（平台管理员）",
    responses={**PROBLEMS, 412: {"description": "版本不一致"}},
)
async def update_tenant(
    code: str,
    body: TenantUpdate,
    response: Response,
    session: DbSession,
    subject: Annotated[AuthSubject, Depends(require_roles("platform_admin"))],
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, object]:
    row = await service.update_tenant(
        session,
        code=code,
        name=body.name,
        expected_version=parse_if_match(if_match),
        actor=actor_of(subject),
    )
    response.headers["ETag"] = etag(row["version"])
    return row


@router.get(
    "/units",
    response_model=list[UnitRead],
    tags=["units"],
    summary="建设单位列表",
    responses=PROBLEMS,
)
async def list_units(
    subject: CurrentSubject,
    session: DbSession,
    tenant: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="仅列出该辖区的建设单位")
    ] = None,
) -> list[object]:
    return list(await service.list_units(session, tenant=tenant))


@router.get(
    "/units/{unit_id}",
    response_model=UnitRead,
    tags=["units"],
    summary="查看建设单位",
    responses=PROBLEMS,
)
async def get_unit(unit_id: uuid.UUID, subject: CurrentSubject, session: DbSession) -> object:
    unit = await service.get_unit(session, unit_id=unit_id)
    if unit is None:  # a foreign tenant's unit is invisible (RLS), so it answers like a missing one
        raise Problem.not_found("建设单位", unit_id)
    return unit


@router.post(
    "/units",
    response_model=UnitRead,
    status_code=201,
    tags=["units"],
    summary="登记建设单位（本级政务服务数据管理部门）",
    responses=PROBLEMS,
)
async def create_unit(
    body: UnitCreate,
    session: DbSession,
    subject: Annotated[AuthSubject, Depends(require_roles("bureau_officer", "platform_admin"))],
) -> object:
    return await service.create_unit(
        session,
        tenant=subject.tenant,
        name=body.name,
        credit_code=body.credit_code,
        actor=actor_of(subject),
    )


# The domains' routers (projects, catalog, plans, oversight) mount beside the tree and units.
domains = APIRouter()
for _r in (router, projects_router, catalog_router, plans_router, oversight_router):
    domains.include_router(_r)
