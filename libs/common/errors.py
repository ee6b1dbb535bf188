"""RFC 9457 problem+json: one error shape for every service, titled in Chinese.

Every error a client can cause is a :class:`Problem` with a stable ``type`` (a
short code, published as ``https://govproj.cn/problems/<code>``), a Chinese
``title`` a person can read, and a ``detail`` that names the field at fault.
"""

from __future__ import annotations

import logging
import uuid
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
    "Conflict",
    "DomainError",
    "Forbidden",
    "Invalid",
    "NotFound",
    "Problem",
    "StaleVersion",
    "install_problem_handlers",
    "problem_response",
]

log = logging.getLogger("govproj.errors")

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


# The domain errors: one typed hierarchy, raised by services without HTTP in
# mind, answered as problem+json by install_problem_handlers and rejected
# (dead-lettered with their detail) by the consumer runner when a handler
# raises one. ``DomainError`` is the same class as ``Problem``: the name says
# what a service means by it.
DomainError = Problem


class NotFound(Problem):
    """The object does not exist for this caller (also: another jurisdiction's, unreadable)."""

    def __init__(self, what: str, ident: object | None = None, *, code: str = "not_found") -> None:
        detail = f"{what}不存在" if ident is None else f"{what} {ident} 不存在"
        super().__init__(404, code, "资源不存在", detail)


class Forbidden(Problem):
    """The caller may read the object but not do this to it."""

    def __init__(self, detail: str, *, code: str = "forbidden", **extra: Any) -> None:
        super().__init__(403, code, "无权执行此操作", detail, extra=extra or None)


class Conflict(Problem):
    """The object's state does not allow this now."""

    def __init__(self, code: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(409, code, title, detail, extra=extra or None)


class Invalid(Problem):
    """A field the caller sent breaks a rule; ``field`` names it."""

    def __init__(self, field: str, detail: str, *, code: str = "validation_error") -> None:
        super().__init__(422, code, "输入数据不合法", f"{field}: {detail}", extra={"field": field})


class StaleVersion(Problem):
    """The caller's ``If-Match`` names another version than the object's: a lost update, refused."""

    def __init__(self, current: int, expected: int) -> None:
        super().__init__(
            412,
            "version_mismatch",
            "版本不一致，请刷新后重试",
            f"If-Match: 当前版本为 {current}，请求基于版本 {expected}",
        )

    @classmethod
    def check(cls, current: int, expected: int | None) -> None:
        """Raise unless no version was expected (no ``If-Match``) or it is ``current``."""
        if expected is not None and expected != current:
            raise cls(current, expected)


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

    def _out_of_range(request: Request) -> JSONResponse:
        problem = Problem(
            422, "validation_error", "输入数据不合法", "数值超出允许的范围或格式，未作任何修改"
        )
        return problem_response(problem, request.url.path)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        return _out_of_range(request)

    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> JSONResponse:
        # The driver refused a parameter before PostgreSQL saw it (asyncpg's
        # client-side DataError: an integer beyond bigint, a string it cannot
        # encode): the caller's input, not our fault; nothing was written.
        if isinstance(getattr(exc.orig, "__cause__", None), asyncpg.exceptions.DataError):
            return _out_of_range(request)
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Never leak internals to the client; the log line (JSON, with the
        # request's trace id from the active span) ties the answer to the cause.
        trace_id = _trace_id(request)
        log.error(
            "unexpected error on %s %s: %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
            exc,
            exc_info=exc,
            extra={"trace_id": trace_id},
        )
        problem = Problem(
            500,
            "internal_error",
            "服务器内部错误",
            "请稍后重试；如仍失败，请将追踪编号告知平台管理员",
            extra={"trace_id": trace_id},
        )
        return problem_response(problem, request.url.path)


def _trace_id(request: Request) -> str:
    """The request's trace id: the active span's, else the caller's ``traceparent``, else new.

    Starlette calls the catch-all handler outside the tracing middleware, where
    the request's span may already have ended.
    """
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        return format(ctx.trace_id, "032x")
    remembered = getattr(request.state, "trace_id", None)
    if isinstance(remembered, str):
        return remembered
    parts = request.headers.get("traceparent", "").split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and all(c in "0123456789abcdef" for c in parts[1]):
        return parts[1]
    return uuid.uuid4().hex
