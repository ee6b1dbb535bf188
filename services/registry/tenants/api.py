"""Tenant routes: /v1/tenants (the jurisdiction tree)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Access
from libs.common.errors import NotFound
from libs.common.http import etag, parse_if_match, problem_responses, versioned
from libs.common.service import DbSession, actor_of
from libs.common.tenants import CachedTenantTree
from services.registry.deps import Idem, PlatformAdmin, Reader
from services.registry.tenants import repository, service
from services.registry.tenants.schemas import TenantCreate, TenantRead, TenantUpdate

router = APIRouter(prefix="/v1", tags=["tenants"])

PROBLEMS = problem_responses()


def _tree(request: Request) -> CachedTenantTree:
    tree: CachedTenantTree = request.app.state.tenant_tree
    return tree


def _readable(request: Request, access: Access) -> set[str] | None:
    """None means all (platform admin). Others: what they oversee, plus the chain above them.

    The tree is reference data: a county officer may read its city's and
    province's names (the console shows the chain), never a sibling's.
    """
    subject = access.subject
    if "platform_admin" in subject.roles:
        return None
    return set(subject.visible_tenants) | set(_tree(request).ancestors(subject.tenant))


def _after_commit(session: AsyncSession, apply: Callable[[], None]) -> None:
    # The registry never applies its own tenant events (tenants/handlers.py), so
    # its in-memory tree learns of a change here, once the change is durable.
    sa.event.listen(session.sync_session, "after_commit", lambda _s: apply(), once=True)


def _read(row: dict[str, Any], status: int = 200, location: str | None = None) -> JSONResponse:
    body = TenantRead.model_validate(row).model_dump(mode="json")
    return versioned(body, row["version"], status=status, location=location)


@router.get(
    "/tenants", response_model=list[TenantRead], summary="行政区划（租户）列表", responses=PROBLEMS
)
async def list_tenants(request: Request, access: Reader, session: DbSession) -> list[Any]:
    return await service.list_tenants(session, codes=_readable(request, access))


@router.get(
    "/tenants/{code}", response_model=TenantRead, summary="查看行政区划", responses=PROBLEMS
)
async def get_tenant(
    code: str, request: Request, response: Response, access: Reader, session: DbSession
) -> Any:
    readable = _readable(request, access)
    row = await repository.get(session, code)
    if row is None or (readable is not None and code not in readable):
        raise NotFound("行政区划", code)
    response.headers["ETag"] = etag(row["version"])
    return row


@router.post(
    "/tenants",
    response_model=TenantRead,
    status_code=201,
    summary="新增行政区划（平台管理员）",
    responses=PROBLEMS,
)
async def create_tenant(
    body: TenantCreate, request: Request, session: DbSession, access: PlatformAdmin, idem: Idem
) -> Any:
    # The tree is reference data above every tenant, not an object of one: the
    # platform.admin action is the whole check (docs/adr/0003, "explicit endpoints").
    if (replay := await idem.claim()) is not None:
        return replay
    row = await service.create_tenant(
        session,
        code=body.code,
        name=body.name,
        level=body.level,
        parent_code=body.parent_code,
        actor=actor_of(access.subject),
    )
    location = f"/v1/tenants/{body.code}"
    response = _read(row, 201, location)
    await idem.save(201, TenantRead.model_validate(row).model_dump(mode="json"), location=location)
    _after_commit(session, lambda: _tree(request).put(row))
    return response


@router.patch(
    "/tenants/{code}",
    response_model=TenantRead,
    summary="修改行政区划名称（平台管理员）",
    responses={**PROBLEMS, 412: {"description": "版本不一致"}},
)
async def update_tenant(
    code: str,
    body: TenantUpdate,
    request: Request,
    session: DbSession,
    access: PlatformAdmin,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    row = await service.update_tenant(
        session,
        code=code,
        name=body.name,
        expected_version=parse_if_match(if_match),
        actor=actor_of(access.subject),
    )
    _after_commit(session, lambda: _tree(request).put(row))
    return _read(row)
