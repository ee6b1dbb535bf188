"""Small HTTP conventions every service follows: ETags for versions, If-Match."""

from __future__ import annotations

import re
from typing import Any, overload

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from libs.common.errors import Problem

__all__ = ["etag", "parse_if_match", "problem_responses", "versioned"]

_ETAG = re.compile(r'^(?:W/)?"(\d+)"$')


def etag(version: int) -> str:
    """The ETag of a row at ``version``."""
    return f'"{version}"'


@overload
def versioned(
    body: BaseModel, version: int, *, status: int = 200, location: str | None = None
) -> Response: ...


@overload
def versioned(
    body: dict[str, Any] | list[Any],
    version: int,
    *,
    status: int = 200,
    location: str | None = None,
) -> JSONResponse: ...


def versioned(
    body: Any, version: int, *, status: int = 200, location: str | None = None
) -> Response:
    """``body`` as JSON with the ETag of ``version`` (a later If-Match names it), and its Location.

    A model ``body`` is serialised straight to JSON bytes by pydantic-core (the same
    JSON as its ``model_dump(mode="json")`` through ``JSONResponse``, without the dict
    in between).
    """
    headers = {"ETag": etag(version)}
    if location:
        headers["Location"] = location
    if isinstance(body, BaseModel):
        return Response(
            body.model_dump_json(), status_code=status, headers=headers, media_type=_JSON
        )
    return JSONResponse(body, status_code=status, headers=headers)


_JSON = JSONResponse.media_type


def parse_if_match(header: str | None, *, required: bool = False) -> int | None:
    """The version an ``If-Match`` header names; 428 when required and absent, 400 when unreadable."""
    if header is None or header.strip() == "":
        if required:
            raise Problem(
                428,
                "precondition_required",
                "缺少 If-Match 版本号",
                "If-Match: 修改前请带上读取时得到的 ETag",
            )
        return None
    if header.strip() == "*":
        return None
    match = _ETAG.match(header.strip())
    if not match:
        raise Problem(
            400, "bad_if_match", "If-Match 格式错误", f'If-Match: 应为 "版本号"，收到 {header!r}'
        )
    return int(match.group(1))


_STANDARD_PROBLEMS = {
    401: "未认证",
    403: "无权执行此操作",
    404: "不存在",
    409: "冲突",
    422: "输入不合法",
}


def problem_responses(**extra: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route: the standard problems, plus ``s409="..."`` etc.

    Every one is documented as problem+json, so clients (and the fuzzer) know the shape.
    """
    descriptions: dict[int, str] = dict(_STANDARD_PROBLEMS)
    descriptions.update({int(key.lstrip("s")): text for key, text in extra.items()})
    return {
        status: {"description": text, "content": {"application/problem+json": {}}}
        for status, text in sorted(descriptions.items())
    }
