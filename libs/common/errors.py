"""RFC 9457 problem+json: one error shape for every service, titled in Chinese.

Every error a client can cause is a :class:`Problem` with a stable ``type`` (a
short code, published as ``https://govproj.cn/problems/<code>``), a Chinese
``title`` a person can read, and a ``detail`` that names the field at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "PROBLEM_BASE",
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "install_problem_handlers",
    "problem_response",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://govproj.cn/problems/"

# Titles for the statuses a framework can raise on its own; our own problems
# carry their own title.
_STATUS_TITLES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式错误"),
    401: ("unauthenticated", "未认证或凭证无效"),
    403: ("forbidden", "无权执行此操作"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持的请求方法"),
    406: ("not_acceptable", "无法提供所要求的格式"),
    409: ("conflict", "状态冲突"),
    412: ("precondition_failed", "版本不一致，请刷新后重试"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_error", "输入数据不合法"),
    428: ("precondition_required", "缺少 If-Match 版本号"),
    429: ("too_many_requests", "请求过于频繁"),
    500: ("internal_error", "服务器内部错误"),
    503: ("unavailable", "服务暂不可用"),
}


class Problem(Exception):
    """An error the client caused (4xx) or a dependency failure (5xx), as problem+json."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str | None = None,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {detail or title}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document (RFC 9457 members plus our extensions)."""
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "code": self.code,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body

    @classmethod
    def not_found(cls, what: str, ident: object) -> Problem:
        """A foreign tenant's object answers exactly like a missing one."""
        return cls(404, "not_found", "资源不存在", f"{what} {ident} 不存在")

    @classmethod
    def conflict(cls, code: str, title: str, detail: str) -> Problem:
        return cls(409, code, title, detail)

    @classmethod
    def invalid(cls, field: str, detail: str, *, code: str = "validation_error") -> Problem:
        return cls(422, code, "输入数据不合法", f"{field}: {detail}", extra={"field": field})


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    """Render a Problem as an HTTP response."""
    return JSONResponse(
        problem.to_dict(instance),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers or None,
    )


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` answer as problem+json, never as HTML or a bare 500."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        fields = [_field_path(e.get("loc", ())) for e in errors]
        detail = "; ".join(f"{f}: {e.get('msg', '')}" for f, e in zip(fields, errors, strict=True))
        problem = Problem(
            422,
            "validation_error",
            "输入数据不合法",
            detail,
            extra={
                "field": fields[0] if fields else None,
                "errors": [
                    {"field": f, "message": str(e.get("msg", "")), "kind": str(e.get("type", ""))}
                    for f, e in zip(fields, errors, strict=True)
                ],
            },
        )
        return problem_response(problem, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title = _STATUS_TITLES.get(exc.status_code, ("http_error", "请求失败"))
        detail = exc.detail if isinstance(exc.detail, str) else None
        problem = Problem(exc.status_code, code, title, detail, headers=exc.headers)
        return problem_response(problem, request.url.path)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A uniqueness race the service's own check could not see: the request
        # lost, nothing was written (the transaction rolled back).
        problem = Problem(
            409, "conflict", "状态冲突", "与已有数据冲突（唯一性或引用约束），未作任何修改"
        )
        return problem_response(problem, request.url.path)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        problem = Problem(
            422, "validation_error", "输入数据不合法", "数值超出允许的范围或格式，未作任何修改"
        )
        return problem_response(problem, request.url.path)

    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> JSONResponse:
        # The driver refused a parameter before PostgreSQL saw it (asyncpg's
        # client-side DataError: an integer beyond bigint, a string it cannot
        # encode): the caller's input, not our fault; nothing was written.
        if isinstance(getattr(exc.orig, "__cause__", None), asyncpg.exceptions.DataError):
            problem = Problem(
                422, "validation_error", "输入数据不合法", "数值超出允许的范围或格式，未作任何修改"
            )
            return problem_response(problem, request.url.path)
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Never leak internals; the trace id in the logs ties this to the cause.
        problem = Problem(500, "internal_error", "服务器内部错误", None)
        return problem_response(problem, request.url.path)
