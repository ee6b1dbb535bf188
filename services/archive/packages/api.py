"""Package routes: build a project's archive package, read it, verify it, download it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Header, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Access, Scope
from libs.common.errors import Problem
from libs.common.routes import once
from libs.common.service import DbSession, actor_of
from services.archive.deps import BUSY, PROBLEMS, Idem, Reader, Storage, Writer
from services.archive.http_range import content_disposition, parse_range, stream_object
from services.archive.limits import heavy
from services.archive.models import Document, Package, Project
from services.archive.packages import service, tarstream
from services.archive.packages.schemas import PackageCreate, PackageRead, PackageVerification
from services.archive.replica import require_project

router = APIRouter(prefix="/v1", tags=["packages"], responses=PROBLEMS)

_TAR: dict[str, Any] = {"schema": {"type": "string", "format": "binary"}}


async def package_scope(session: AsyncSession, package: Package) -> Scope:
    """A package's scope: its project's tenant and unit; 内部 when any document is."""
    project = await session.get(Project, package.project_id)
    ids = [uuid.UUID(str(i["document_id"])) for i in package.items]
    internal = bool(
        ids
        and await session.scalar(
            sa.select(sa.func.count())
            .select_from(Document)
            .where(Document.id.in_(ids), Document.security_level == "internal")
        )
    )
    return Scope(
        tenant=package.tenant_id,
        unit_id=str(project.unit_id) if project is not None and project.unit_id else None,
        what="归档信息包",
        internal=internal,
    )


@router.post(
    "/projects/{project_id}/packages",
    response_model=PackageRead,
    status_code=201,
    summary="生成项目归档信息包（BagIt；不另存文件副本；支持 Idempotency-Key）",
    responses=BUSY,
)
async def build_package(
    project_id: uuid.UUID,
    body: PackageCreate,
    response: Response,
    session: DbSession,
    storage: Storage,
    access: Writer,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    tenant = access.subject.tenant
    await require_project(session, project_id, access=access, tenant=tenant)
    with heavy(tenant, "生成归档信息包"):
        package = await service.build_package(
            session,
            storage,
            tenant=tenant,
            project_id=project_id,
            document_ids=body.document_ids,
            actor=actor_of(access.subject),
        )
    location = f"/v1/packages/{package['id']}"
    response.headers["Location"] = location
    return await idem.save(201, package, location=location)


@router.get(
    "/projects/{project_id}/packages",
    response_model=list[PackageRead],
    summary="项目的归档信息包",
)
async def list_packages(
    project_id: uuid.UUID, access: Reader, session: DbSession
) -> list[dict[str, Any]]:
    return await service.list_packages(session, project_id)


async def _readable(
    session: AsyncSession, access: Access, package_id: uuid.UUID
) -> tuple[Package, Any]:
    package, obj = await service.get_package(session, package_id)
    access.check_read(await package_scope(session, package))
    return package, obj


@router.get(
    "/packages/{package_id}",
    response_model=PackageRead,
    summary="查看归档信息包",
)
async def get_package(package_id: uuid.UUID, access: Reader, session: DbSession) -> dict[str, Any]:
    package, obj = await _readable(session, access, package_id)
    return service.package_dict(package, obj)


@router.post(
    "/packages/{package_id}/verification",
    response_model=PackageVerification,
    summary="复核归档信息包（BagIt + SM3 + 登记）；每个辖区同时只执行一项",
    responses=BUSY,
)
async def verify_package(
    package_id: uuid.UUID, access: Reader, session: DbSession, storage: Storage, idem: Idem
) -> Any:
    async def verify() -> dict[str, Any]:
        await _readable(session, access, package_id)
        # Re-reads every byte of the package: bounded so it cannot be used to load the service.
        with heavy(access.subject.tenant, "复核归档信息包"):
            return await service.verify_package(session, storage, package_id)

    return await once(idem, verify)


@router.get(
    "/packages/{package_id}/content",
    summary="下载归档信息包（tar，按需生成，支持 Range）",
    response_class=StreamingResponse,
    responses={
        200: {"description": "归档信息包（tar）", "content": {"application/x-tar": _TAR}},
        206: {"description": "部分内容", "content": {"application/x-tar": _TAR}},
        410: {"description": "包内文件已按保管期限处置"},
        416: {"description": "范围无效"},
    },
)
async def download_package(
    package_id: uuid.UUID,
    access: Reader,
    session: DbSession,
    storage: Storage,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    package, obj = await _readable(session, access, package_id)
    if obj is not None:  # built before issue 16: its tar is stored
        return await stream_object(
            storage.store,
            obj,
            content_type="application/x-tar",
            filename=f"{package.id}.tar",
            range_header=range_header,
        )
    try:
        tar = await service.package_layout(session, package)
    except service.PayloadGone as exc:
        raise Problem(
            410,
            "package_payload_disposed",
            "归档信息包所含文件已按保管期限处置",
            f"package: {exc}；包的登记（清单、摘要、著录项）仍可查看",
        ) from None
    byte_range = parse_range(range_header, tar.size)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{package.tar_sha256}"',
        "Content-Disposition": content_disposition(f"{package.id}.tar"),
    }
    if byte_range is None:
        headers["Content-Length"] = str(tar.size)
        status = 200
    else:
        first, last = byte_range
        headers["Content-Range"] = f"bytes {first}-{last}/{tar.size}"
        headers["Content-Length"] = str(last - first + 1)
        status = 206

    async def body() -> AsyncIterator[bytes]:
        async for chunk in tarstream.stream(storage.store, tar, byte_range):
            yield chunk

    return StreamingResponse(
        body(), status_code=status, media_type="application/x-tar", headers=headers
    )
