"""Bytes passed through the console unchanged: downloads to the browser, uploads to the archive.

The console keeps no copy, on disk or in memory: a download is streamed
chunk by chunk with the service's name and type; an upload's multipart body
goes to the archive as the browser sends it (the progress bar counts it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import Request
from fastapi.responses import JSONResponse, StreamingResponse

from services.portal.client import ApiError
from services.portal.web import User

__all__ = ["forward_upload", "stream_through"]

_DOWNLOAD_HEADERS = ("content-type", "content-length", "content-disposition", "etag")


def stream_through(r: httpx.Response, body: AsyncIterator[bytes]) -> StreamingResponse:
    """A service's download passed to the browser chunk by chunk, with its name and type."""
    headers = {k: v for k, v in r.headers.items() if k.lower() in _DOWNLOAD_HEADERS}

    async def chunks() -> AsyncIterator[bytes]:
        try:
            async for chunk in body:
                yield chunk
        finally:
            await r.aclose()

    return StreamingResponse(chunks(), headers=headers)


async def forward_upload(request: Request, user: User, path: str) -> JSONResponse:
    """The browser's multipart body to the archive's ``path``; its answer (or refusal) as JSON."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return JSONResponse(
            {"title": "上传格式不正确", "detail": "须以 multipart/form-data 上传"}, status_code=415
        )
    headers = {"Content-Type": content_type}
    if "content-length" in request.headers:
        headers["Content-Length"] = request.headers["content-length"]
    try:
        r = await user.api.request(
            "POST", "archive", path, content=request.stream(), headers=headers, ok=(201,)
        )
    except ApiError as exc:
        return JSONResponse(
            {"title": exc.title, "detail": exc.labelled_detail}, status_code=exc.status
        )
    return JSONResponse(r.json(), status_code=201)
