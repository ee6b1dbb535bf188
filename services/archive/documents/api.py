"""Document routes: /v1/documents (upload, metadata, versions, content, holds, attachments).

Uploads (a new document, a new version) hold no database connection while the
body streams (:mod:`services.archive.documents.intake`); every other route runs
in the request's transaction. Every route declares its action of the
authorization model (ADR 0008) and checks the document's or project's scope.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Access, permit
from libs.common.db import transaction
from libs.common.errors import Problem
from libs.common.idempotency import HEADER, REPLAYED_HEADER
from libs.common.routes import once
from libs.common.service import DbSession, actor_of, tenant_context_of
from services.archive.deps import PROBLEMS, Idem, Reader, Storage, Writer
from services.archive.documents import intake, service
from services.archive.documents.intake import UploadKey, drain, fingerprint, timed
from services.archive.documents.schemas import (
    AttachmentCreate,
    AttachmentRead,
    DocumentCreate,
    DocumentRead,
    LegalHoldUpdate,
    VersionRead,
)
from services.archive.documents.upload import StreamedForm
from services.archive.http_range import stream_object
from services.archive.limits import UploadLimits, too_large, upload_limits
from services.archive.replica import require_project
from services.archive.storage import ArchiveStorage

router = APIRouter(prefix="/v1", tags=["documents"])

_METADATA_FIELDS = {
    "title": {"type": "string", "description": "题名"},
    "doc_type": {"type": "string", "description": "文件类型（受控词表）"},
    "doc_number": {"type": "string", "description": "文号"},
    "doc_date": {"type": "string", "format": "date", "description": "成文日期"},
    "author_unit": {"type": "string", "description": "责任者"},
    "security_level": {"type": "string", "enum": ["non_secret", "internal"]},
    "retention_period": {"type": "string", "enum": ["permanent", "y30", "y10"]},
    "project_id": {"type": "string", "format": "uuid"},
    "step_id": {"type": "string"},
    "legal_hold": {"type": "boolean"},
}
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")
# Room for the metadata fields and the multipart framing around the file.
_FORM_SLACK = 2 * 1024 * 1024 + 64 * 1024
# An upload key with no answer after this long belongs to an upload that died.
_KEY_STALE = timedelta(hours=1)
_UPLOAD_PROBLEMS: dict[int | str, dict[str, Any]] = {
    408: {"description": "上传超时"},
    409: {"description": "同一幂等键的上传正在处理中"},
    413: {"description": "上传文件过大"},
    415: {"description": "不支持的内容类型"},
}
_FILE_FIELD = {
    "file": {"type": "string", "format": "binary", "description": "文件（须在元数据字段之后）"}
}


# The key is read by hand (before the body, so a retry of a streaming upload is
# recognised at once), so it is declared here for the OpenAPI document.
_IDEMPOTENCY_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "幂等键：重试同一上传时带上相同的键，平台只保存一次并返回首次的结果",
}


def _multipart_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "parameters": [_IDEMPOTENCY_PARAMETER],
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": properties, "required": required}
                }
            },
        },
    }


def _metadata(fields: dict[str, str]) -> DocumentCreate:
    data: dict[str, Any] = {k: v for k, v in fields.items() if v != "" or k == "title"}
    if "legal_hold" in data:
        data["legal_hold"] = data["legal_hold"].lower() in ("1", "true", "on", "yes")
    try:
        return DocumentCreate.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "metadata"
        raise Problem.invalid(where, first["msg"]) from None


def _declared(request: Request, limits: UploadLimits) -> None:
    """413 before a byte is read when the declared body cannot fit the tenant's limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and len(declared) < 16 and int(declared) > limits.max_bytes + _FORM_SLACK:
        raise too_large(limits.max_bytes)


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is not None and not _KEY_RE.fullmatch(key):
        raise Problem.invalid(HEADER, "须为 1 到 200 个可见 ASCII 字符")
    return key


async def _upload(
    request: Request,
    storage: ArchiveStorage,
    access: Access,
    *,
    run: Callable[..., Awaitable[dict[str, Any]]],
    replay: Callable[[AsyncSession, dict[str, Any]], Awaitable[dict[str, Any]]],
    location: Callable[[dict[str, Any]], str],
    metadata_allowed: bool,
    **kwargs: Any,
) -> Any:
    """The upload routes' common path: limits, key, streamed form, deposit (intake.py)."""
    subject = access.subject
    ctx = tenant_context_of(subject)
    sessions = request.app.state.sessionmaker
    limits = upload_limits(subject.tenant)
    _declared(request, limits)
    key = UploadKey(sessions, ctx, _idempotency_key(request), stale=_KEY_STALE)
    earlier = await key.begin()
    try:
        form = StreamedForm(
            request.headers.get("content-type", ""),
            timed(aiter(request.stream()), limits.read_timeout),
        )
        fields, file = await form.read_head()
        if file is None:
            raise Problem.invalid("file", "缺少文件部分（字段名 file）")
        if metadata_allowed:
            kwargs["meta"] = _metadata(fields)
        elif fields:
            raise Problem.invalid(sorted(fields)[0], "新版本只接受文件部分，元数据不可在此修改")
        path = request.url.path
        if earlier is not None:
            sha256 = await drain(aiter(file), limits)
            if earlier["fingerprint"] != fingerprint(
                path, fields, file.filename, file.content_type, sha256
            ):
                raise Problem(
                    422,
                    "idempotency_key_reused",
                    "幂等键已用于另一请求",
                    f"{HEADER}: 该键已用于内容不同的上传，请换用新的键",
                    extra={"field": HEADER},
                )
            async with transaction(sessions, ctx) as session:
                body = await replay(session, earlier["response"])
            return JSONResponse(
                jsonable_encoder(body),
                status_code=201,
                headers={"Location": earlier["location"], REPLAYED_HEADER: "true"},
            )

        async def on_commit(session: AsyncSession, body: dict[str, Any], sha256: str) -> None:
            await key.finish(
                session,
                fingerprint=fingerprint(path, fields, file.filename, file.content_type, sha256),
                body=body,
                location=location(body),
            )

        result = await run(
            sessions,
            storage,
            ctx=ctx,
            access=access,
            incoming=intake.Incoming(file.filename, file.content_type, aiter(file), limits),
            actor=actor_of(subject),
            on_commit=on_commit,
            **kwargs,
        )
    except BaseException:
        await key.release()
        raise
    return JSONResponse(
        jsonable_encoder(result), status_code=201, headers={"Location": location(result)}
    )


@router.post(
    "/documents",
    response_model=DocumentRead,
    status_code=201,
    summary="上传电子文件（流式 multipart，元数据字段在文件之前；支持 Idempotency-Key）",
    responses={**PROBLEMS, **_UPLOAD_PROBLEMS},
    openapi_extra=_multipart_body(
        {**_METADATA_FIELDS, **_FILE_FIELD},
        [
            "title",
            "doc_type",
            "doc_date",
            "author_unit",
            "security_level",
            "retention_period",
            "file",
        ],
    ),
)
async def upload_document(request: Request, storage: Storage, access: Writer) -> Any:
    # No DbSession here: the body streams with no database connection held.
    async def replay(session: AsyncSession, first: dict[str, Any]) -> dict[str, Any]:
        return await service.read_document(session, uuid.UUID(str(first["id"])))

    return await _upload(
        request,
        storage,
        access,
        run=intake.deposit_document,
        replay=replay,
        location=lambda body: f"/v1/documents/{body['id']}",
        metadata_allowed=True,
    )


@router.get(
    "/documents", response_model=list[DocumentRead], summary="电子文件列表", responses=PROBLEMS
)
async def list_documents(
    access: Reader,
    session: DbSession,
    project_id: Annotated[uuid.UUID | None, Query(description="仅列出挂接到该项目的文件")] = None,
    step_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    return await service.list_documents(
        session,
        project_id=project_id,
        step_id=step_id,
        limit=limit,
        offset=offset,
        hide_internal=_expert_only(access),
    )


def _expert_only(access: Access) -> bool:
    # ADR 0008: an external expert never reads documents marked 内部.
    return access.subject.roles == frozenset({"expert"})


async def _readable(session: AsyncSession, access: Access, document_id: uuid.UUID) -> None:
    document = await service.get_document(session, document_id)
    access.check_read(service.document_scope(document))


async def _writable(session: AsyncSession, access: Access, document_id: uuid.UUID) -> None:
    """403 unless ``access`` may change the document (404 when it cannot see it)."""
    document = await service.get_document(session, document_id)
    access.check(service.document_scope(document))


@router.get(
    "/documents/{document_id}",
    response_model=DocumentRead,
    summary="查看电子文件",
    responses=PROBLEMS,
)
async def get_document(
    document_id: uuid.UUID, access: Reader, session: DbSession
) -> dict[str, Any]:
    await _readable(session, access, document_id)
    return await service.read_document(session, document_id)


@router.delete(
    "/documents/{document_id}",
    status_code=204,
    summary="处置（删除）电子文件：仅限保管期限届满且无法律保全",
    responses=PROBLEMS,
)
async def delete_document(
    document_id: uuid.UUID,
    session: DbSession,
    storage: Storage,
    access: Annotated[Access, Depends(permit("bureau.decide"))],
) -> Response:
    await _writable(session, access, document_id)
    await service.delete_document(
        session,
        storage,
        tenant=access.subject.tenant,
        document_id=document_id,
        actor=actor_of(access.subject),
    )
    return Response(status_code=204)


@router.get(
    "/documents/{document_id}/versions",
    response_model=list[VersionRead],
    summary="文件的全部版本",
    responses=PROBLEMS,
)
async def list_versions(
    document_id: uuid.UUID, access: Reader, session: DbSession
) -> list[dict[str, Any]]:
    await _readable(session, access, document_id)
    return await service.list_versions(session, document_id)


@router.post(
    "/documents/{document_id}/versions",
    response_model=VersionRead,
    status_code=201,
    summary="上传文件的新版本（支持 Idempotency-Key）",
    responses={**PROBLEMS, **_UPLOAD_PROBLEMS},
    openapi_extra=_multipart_body(_FILE_FIELD, ["file"]),
)
async def add_version(
    document_id: uuid.UUID, request: Request, storage: Storage, access: Writer
) -> Any:
    # No DbSession: the document and the unit are checked in a short transaction
    # before the body is read (nothing is stored for a 404 or 403), and the rows
    # are written in another after it.
    async def replay(session: AsyncSession, first: dict[str, Any]) -> dict[str, Any]:
        version, obj = await service.get_version(session, document_id, str(first["version_id"]))
        return service.version_dict(version, obj)

    return await _upload(
        request,
        storage,
        access,
        run=intake.deposit_version,
        replay=replay,
        location=lambda body: f"/v1/documents/{document_id}/versions/{body['version_id']}",
        metadata_allowed=False,
        document_id=document_id,
    )


async def _content(
    session: AsyncSession,
    storage: ArchiveStorage,
    access: Access,
    document_id: uuid.UUID,
    version_id: str | None,
    range_header: str | None,
) -> StreamingResponse:
    await _readable(session, access, document_id)
    version, obj = await service.get_version(session, document_id, version_id)
    return await stream_object(
        storage.store,
        obj,
        content_type=version.content_type,
        filename=version.filename,
        range_header=range_header,
    )


_BINARY: dict[str, Any] = {"schema": {"type": "string", "format": "binary"}}
_CONTENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    200: {"description": "文件内容", "content": {"application/octet-stream": _BINARY}},
    206: {"description": "部分内容（Range）", "content": {"application/octet-stream": _BINARY}},
    416: {"description": "请求的字节范围无效"},
}


@router.get(
    "/documents/{document_id}/content",
    summary="下载当前版本（支持 Range）",
    response_class=StreamingResponse,
    responses=_CONTENT_RESPONSES,
)
async def download_current(
    document_id: uuid.UUID,
    access: Reader,
    session: DbSession,
    storage: Storage,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    return await _content(session, storage, access, document_id, None, range_header)


@router.get(
    "/documents/{document_id}/versions/{version_id}/content",
    summary="按版本号下载（支持 Range）",
    response_class=StreamingResponse,
    responses=_CONTENT_RESPONSES,
)
async def download_version(
    document_id: uuid.UUID,
    version_id: Annotated[str, Path(max_length=128)],
    access: Reader,
    session: DbSession,
    storage: Storage,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    return await _content(session, storage, access, document_id, version_id, range_header)


@router.put(
    "/documents/{document_id}/versions/{version_id}/legal-hold",
    response_model=VersionRead,
    summary="设置或解除法律保全（建设主管部门；审计人员不能解除）",
    responses=PROBLEMS,
)
async def legal_hold(
    document_id: uuid.UUID,
    version_id: Annotated[str, Path(max_length=128)],
    body: LegalHoldUpdate,
    session: DbSession,
    storage: Storage,
    access: Annotated[Access, Depends(permit("archive.hold"))],
) -> dict[str, Any]:
    await _writable(session, access, document_id)
    return await service.set_legal_hold(
        session,
        storage,
        tenant=access.subject.tenant,
        document_id=document_id,
        version_id=version_id,
        on=body.on,
        actor=actor_of(access.subject),
    )


@router.post(
    "/documents/{document_id}/attachments",
    response_model=AttachmentRead,
    status_code=201,
    summary="将文件挂接到项目（及环节）（支持 Idempotency-Key）",
    responses=PROBLEMS,
)
async def attach(
    document_id: uuid.UUID,
    body: AttachmentCreate,
    session: DbSession,
    access: Writer,
    idem: Idem,
) -> Any:
    tenant = access.subject.tenant

    async def attached() -> dict[str, Any]:
        await _writable(session, access, document_id)
        # The project must be this jurisdiction's, in the replica, and (for a unit) the unit's.
        await require_project(session, body.project_id, access=access, tenant=tenant)
        return await service.attach(
            session,
            tenant=tenant,
            document_id=document_id,
            project_id=body.project_id,
            step_id=body.step_id,
            actor=actor_of(access.subject),
        )

    return await once(idem, attached, status=201)
