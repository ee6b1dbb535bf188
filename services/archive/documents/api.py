"""Document routes: /v1/documents (upload, metadata, versions, content, holds, attachments)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from libs.common.auth import AuthSubject, CurrentSubject, require_roles
from libs.common.errors import Problem
from libs.common.service import DbSession, actor_of
from services.archive.deps import PROBLEMS, WRITERS, Storage
from services.archive.documents import service
from services.archive.documents.upload import StreamedForm
from services.archive.http_range import stream_object
from services.archive.schemas import (
    AttachmentCreate,
    AttachmentRead,
    DocumentCreate,
    DocumentRead,
    LegalHoldUpdate,
    VersionRead,
)

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
_FILE_FIELD = {
    "file": {"type": "string", "format": "binary", "description": "文件（须在元数据字段之后）"}
}


def _multipart_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": properties, "required": required}
                }
            },
        }
    }


async def _form(request: Request) -> tuple[dict[str, str], Any]:
    form = StreamedForm(request.headers.get("content-type", ""), aiter(request.stream()))
    fields, file = await form.read_head()
    if file is None:
        raise Problem.invalid("file", "缺少文件部分（字段名 file）")
    return fields, file


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


@router.post(
    "/documents",
    response_model=DocumentRead,
    status_code=201,
    summary="上传电子文件（流式 multipart，元数据字段在文件之前）",
    responses={**PROBLEMS, 415: {"description": "不支持的内容类型"}},
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
async def upload_document(
    request: Request,
    response: Response,
    session: DbSession,
    storage: Storage,
    subject: Annotated[AuthSubject, Depends(require_roles(*WRITERS))],
) -> dict[str, Any]:
    fields, file = await _form(request)
    meta = _metadata(fields)
    document = await service.create_document(
        session,
        storage,
        tenant=subject.tenant,
        meta=meta,
        filename=file.filename,
        content_type=file.content_type,
        source=file,
        actor=actor_of(subject),
    )
    response.headers["Location"] = f"/v1/documents/{document['id']}"
    return document


@router.get(
    "/documents", response_model=list[DocumentRead], summary="电子文件列表", responses=PROBLEMS
)
async def list_documents(
    subject: CurrentSubject,
    session: DbSession,
    project_id: Annotated[uuid.UUID | None, Query(description="仅列出挂接到该项目的文件")] = None,
    step_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    return await service.list_documents(
        session, project_id=project_id, step_id=step_id, limit=limit, offset=offset
    )


@router.get(
    "/documents/{document_id}",
    response_model=DocumentRead,
    summary="查看电子文件",
    responses=PROBLEMS,
)
async def get_document(
    document_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    return await service.read_document(session, document_id)


@router.delete(
    "/documents/{document_id}",
    status_code=204,
    summary="删除电子文件（仅限保管期限届满且无法律保全）",
    responses=PROBLEMS,
)
async def delete_document(
    document_id: uuid.UUID,
    session: DbSession,
    storage: Storage,
    subject: Annotated[AuthSubject, Depends(require_roles("bureau_officer"))],
) -> Response:
    await service.delete_document(
        session, storage, tenant=subject.tenant, document_id=document_id, actor=actor_of(subject)
    )
    return Response(status_code=204)


@router.get(
    "/documents/{document_id}/versions",
    response_model=list[VersionRead],
    summary="文件的全部版本",
    responses=PROBLEMS,
)
async def list_versions(
    document_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> list[dict[str, Any]]:
    return await service.list_versions(session, document_id)


@router.post(
    "/documents/{document_id}/versions",
    response_model=VersionRead,
    status_code=201,
    summary="上传文件的新版本",
    responses={**PROBLEMS, 415: {"description": "不支持的内容类型"}},
    openapi_extra=_multipart_body(_FILE_FIELD, ["file"]),
)
async def add_version(
    document_id: uuid.UUID,
    request: Request,
    session: DbSession,
    storage: Storage,
    subject: Annotated[AuthSubject, Depends(require_roles(*WRITERS))],
) -> dict[str, Any]:
    # Check the document before reading the body: nothing is stored for a 404.
    await service.get_document(session, document_id)
    fields, file = await _form(request)
    if fields:
        raise Problem.invalid(sorted(fields)[0], "新版本只接受文件部分，元数据不可在此修改")
    return await service.add_version(
        session,
        storage,
        tenant=subject.tenant,
        document_id=document_id,
        filename=file.filename,
        content_type=file.content_type,
        source=file,
        actor=actor_of(subject),
    )


async def _content(
    session: DbSession,
    storage: Storage,
    document_id: uuid.UUID,
    version_id: str | None,
    range_header: str | None,
) -> StreamingResponse:
    version, obj = await service.get_version(session, document_id, version_id)
    return await stream_object(
        storage.store,
        bucket=obj.bucket,
        key=obj.key,
        version_id=obj.version_id,
        size=obj.size,
        content_type=version.content_type,
        filename=version.filename,
        etag=obj.sha256,
        range_header=range_header,
    )


_CONTENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    200: {"description": "文件内容", "content": {"application/octet-stream": {}}},
    206: {"description": "部分内容（Range）"},
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
    subject: CurrentSubject,
    session: DbSession,
    storage: Storage,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    return await _content(session, storage, document_id, None, range_header)


@router.get(
    "/documents/{document_id}/versions/{version_id}/content",
    summary="按版本号下载（支持 Range）",
    response_class=StreamingResponse,
    responses=_CONTENT_RESPONSES,
)
async def download_version(
    document_id: uuid.UUID,
    version_id: Annotated[str, Path(max_length=128)],
    subject: CurrentSubject,
    session: DbSession,
    storage: Storage,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    return await _content(session, storage, document_id, version_id, range_header)


@router.put(
    "/documents/{document_id}/versions/{version_id}/legal-hold",
    response_model=VersionRead,
    summary="设置或解除法律保全",
    responses=PROBLEMS,
)
async def legal_hold(
    document_id: uuid.UUID,
    version_id: Annotated[str, Path(max_length=128)],
    body: LegalHoldUpdate,
    session: DbSession,
    storage: Storage,
    subject: Annotated[AuthSubject, Depends(require_roles("bureau_officer", "auditor"))],
) -> dict[str, Any]:
    return await service.set_legal_hold(
        session,
        storage,
        tenant=subject.tenant,
        document_id=document_id,
        version_id=version_id,
        on=body.on,
        actor=actor_of(subject),
    )


@router.post(
    "/documents/{document_id}/attachments",
    response_model=AttachmentRead,
    status_code=201,
    summary="将文件挂接到项目（及环节）",
    responses=PROBLEMS,
)
async def attach(
    document_id: uuid.UUID,
    body: AttachmentCreate,
    session: DbSession,
    subject: Annotated[AuthSubject, Depends(require_roles(*WRITERS))],
) -> dict[str, Any]:
    return await service.attach(
        session,
        tenant=subject.tenant,
        document_id=document_id,
        project_id=body.project_id,
        step_id=body.step_id,
        actor=actor_of(subject),
    )
