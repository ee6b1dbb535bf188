"""Package routes: build a project's archive package, read it, verify it, download it."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response
from fastapi.responses import StreamingResponse

from libs.common.auth import AuthSubject, CurrentSubject, require_roles
from libs.common.service import DbSession, actor_of
from services.archive.deps import PROBLEMS, WRITERS, Storage
from services.archive.http_range import stream_object
from services.archive.packages import service
from services.archive.schemas import PackageCreate, PackageRead, PackageVerification

router = APIRouter(prefix="/v1", tags=["packages"])


@router.post(
    "/projects/{project_id}/packages",
    response_model=PackageRead,
    status_code=201,
    summary="生成项目归档信息包（BagIt）",
    responses=PROBLEMS,
)
async def build_package(
    project_id: uuid.UUID,
    body: PackageCreate,
    response: Response,
    session: DbSession,
    storage: Storage,
    subject: Annotated[AuthSubject, Depends(require_roles(*WRITERS))],
) -> dict[str, Any]:
    package = await service.build_package(
        session,
        storage,
        tenant=subject.tenant,
        project_id=project_id,
        document_ids=body.document_ids,
        actor=actor_of(subject),
    )
    response.headers["Location"] = f"/v1/packages/{package['id']}"
    return package


@router.get(
    "/projects/{project_id}/packages",
    response_model=list[PackageRead],
    summary="项目的归档信息包",
    responses=PROBLEMS,
)
async def list_packages(
    project_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> list[dict[str, Any]]:
    return await service.list_packages(session, project_id)


@router.get(
    "/packages/{package_id}",
    response_model=PackageRead,
    summary="查看归档信息包",
    responses=PROBLEMS,
)
async def get_package(
    package_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    package, obj = await service.get_package(session, package_id)
    return service.package_dict(package, obj)


@router.post(
    "/packages/{package_id}/verification",
    response_model=PackageVerification,
    summary="复核归档信息包（BagIt + SM3 + 登记）",
    responses=PROBLEMS,
)
async def verify_package(
    package_id: uuid.UUID, subject: CurrentSubject, session: DbSession, storage: Storage
) -> dict[str, Any]:
    return await service.verify_package(session, storage, package_id)


@router.get(
    "/packages/{package_id}/content",
    summary="下载归档信息包（tar，支持 Range）",
    response_class=StreamingResponse,
    responses={**PROBLEMS, 206: {"description": "部分内容"}, 416: {"description": "范围无效"}},
)
async def download_package(
    package_id: uuid.UUID,
    subject: CurrentSubject,
    session: DbSession,
    storage: Storage,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    package, obj = await service.get_package(session, package_id)
    return await stream_object(
        storage.store,
        bucket=obj.bucket,
        key=obj.key,
        version_id=obj.version_id,
        size=obj.size,
        content_type="application/x-tar",
        filename=f"{package.id}.tar",
        etag=obj.sha256,
        range_header=range_header,
    )
