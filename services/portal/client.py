"""Calls to the services with the person's own token; their problems become Chinese messages.

Every service answers errors as problem+json with a Chinese ``title`` and a
``detail`` naming the field; :class:`ApiError` carries both to the page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any, TypeVar

import httpx

from libs.vocab import FIELD_LABELS
from services.portal.calls import count_call

__all__ = ["Api", "ApiError", "answer_or_message"]

T = TypeVar("T")

_STATUS_MESSAGES = {
    401: "登录已失效，请重新登录",
    403: "您的角色无权进行此操作",
    404: "找不到该对象，或它不属于您可见的辖区",
    409: "操作与当前状态冲突",
    412: "数据已被他人修改，请刷新后重试",
    413: "文件过大",
    415: "不支持的文件类型",
    422: "输入数据不合法",
    503: "服务暂不可用，请稍后重试",
}


class ApiError(Exception):
    """A service said no (or did not answer): what to tell the person, in Chinese."""

    def __init__(
        self, status: int, title: str, detail: str = "", problem: Mapping[str, Any] | None = None
    ):
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.problem = dict(problem or {})

    @property
    def labelled_detail(self) -> str:
        """The detail with field codes replaced by their Chinese labels."""
        return _label_fields(self.detail)

    @property
    def message(self) -> str:
        """Title and detail as one sentence, field codes replaced by their Chinese labels."""
        return self.message_for()

    def message_for(self, fields: Mapping[str, str] | None = None) -> str:
        """:attr:`message` as one form words it: its own labels first ("name" is 单位名称 there)."""
        if self.status == 412:
            # "If-Match: 当前版本为 2，请求基于版本 1" is for programs; a person needs what to do.
            return _STATUS_MESSAGES[412]
        detail = _label_fields(self.detail, fields)
        return f"{self.title}：{detail}" if detail and detail != self.title else self.title

    @classmethod
    def from_response(cls, service: str, r: httpx.Response) -> ApiError:
        problem: dict[str, Any] = {}
        if r.headers.get("content-type", "").startswith(
            ("application/problem+json", "application/json")
        ):
            try:
                body = r.json()
                problem = body if isinstance(body, dict) else {}
            except ValueError:
                problem = {}
        title = str(
            problem.get("title")
            or _STATUS_MESSAGES.get(r.status_code, f"{service} 服务返回错误 {r.status_code}")
        )
        detail = problem.get("detail")
        return cls(r.status_code, title, str(detail) if detail else "", problem)


# "body.facts.amount: …", "year: 2027", "evidence_document_ids[0]: …": a field path at
# the start of a problem's detail or of one of its "; "-separated parts.
_FIELD = re.compile(r"(^|; )(?:body\.)?([a-z_][a-z0-9_.]*)(?:\[\d+\])*: ?")


# "step 72186e29-…: ", "项目 ead49173-… ": an object named by its id, which says nothing
# to a person (the page around the message names the object).
_ID = re.compile(
    r"(?:\b[a-z_]+ )?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?::\s*|\s+)?",
    re.I,
)


async def answer_or_message(call: Awaitable[T], fallback: T) -> tuple[T, str | None]:
    """Await a call whose refusal a page shows rather than fails on: its answer and None,
    or ``fallback`` and the service's refusal in words (the page is drawn all the same).

    A 401 is no refusal to show: it goes on to the login (the session ended).
    """
    try:
        return await call, None
    except ApiError as exc:
        if exc.status == 401:
            raise
        return fallback, exc.message


def _label_fields(detail: str, fields: Mapping[str, str] | None = None) -> str:
    # People know a field by the form's label: "建设年度：2027", not "year: 2027".
    def named(m: re.Match[str]) -> str:
        field = (fields or {}).get(m.group(2)) or FIELD_LABELS.get(m.group(2))
        return f"{m.group(1)}{field}：" if field else m.group(0)

    return _FIELD.sub(named, _ID.sub("", detail)).strip()


class Api:
    """The services as one person sees them (their token, their tenant, their roles)."""

    def __init__(self, http: httpx.AsyncClient, urls: Mapping[str, str], token: str | None):
        self.http = http
        self.urls = urls
        self.token = token

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(extra or {})
        return h

    async def request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        content: Any = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
        key: str | None = None,
    ) -> httpx.Response:
        """One call to ``service``; ``key`` (a form's own) goes as its ``Idempotency-Key``."""
        url = self.urls[service] + path
        if key is not None:
            headers = {**(headers or {}), "Idempotency-Key": key}
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        count_call()
        try:
            r = await self.http.request(
                method, url, params=clean, json=json, headers=self.headers(headers), content=content
            )
        except httpx.HTTPError as exc:
            raise ApiError(
                503, "服务暂不可用，请稍后重试", f"{service}：{type(exc).__name__}"
            ) from exc
        if r.status_code not in ok:
            raise ApiError.from_response(service, r)
        return r

    async def get(self, service: str, path: str, **params: Any) -> Any:
        return (await self.request("GET", service, path, params=params)).json()

    async def listing(
        self,
        service: str,
        path: str,
        *,
        limit: int = 50,
        every: bool = False,
        max_rows: int = 5000,
        **params: Any,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of a list and the next page's cursor (None on the last): a list whose
        cursor is in ``X-Next-Cursor``, or a page object ``{"items", "next_cursor"}``;
        ``every`` follows the pages (200 a call) up to ``max_rows`` (exports)."""
        rows: list[dict[str, Any]] = []
        cursor = params.pop("cursor", "") or ""
        while True:
            query = {**params, "cursor": cursor, "limit": 200 if every else limit}
            answer = await self.request("GET", service, path, params=query)
            body = answer.json()
            if isinstance(body, dict):
                rows.extend(body["items"])
                cursor = body.get("next_cursor") or ""
            else:
                rows.extend(body)
                cursor = answer.headers.get("X-Next-Cursor") or ""
            if not (every and cursor and len(rows) < max_rows):
                return rows, cursor or None

    async def post(
        self,
        service: str,
        path: str,
        json: Any = None,
        *,
        idempotent: bool = True,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """POST ``json``; an ``Idempotency-Key`` goes with it: ``key`` (a form's own) or a fresh one."""
        if idempotent:
            # A double click or a retried form must not create twice (the services honour the key).
            key = key or str(uuid.uuid4())
        r = await self.request("POST", service, path, json=json, headers=headers, key=key)
        return r.json() if r.content else None

    async def patch(self, service: str, path: str, json: Any, *, version: int | None = None) -> Any:
        extra = {"If-Match": f'"{version}"'} if version is not None else {}
        return (await self.request("PATCH", service, path, json=json, headers=extra)).json()

    async def stream(self, service: str, path: str) -> tuple[httpx.Response, AsyncIterator[bytes]]:
        """A download, streamed through: the response (headers) and its body chunks."""
        req = self.http.build_request("GET", self.urls[service] + path, headers=self.headers())
        try:
            r = await self.http.send(req, stream=True)
        except httpx.HTTPError as exc:
            raise ApiError(503, "服务暂不可用，请稍后重试", service) from exc
        if r.status_code != 200:
            await r.aread()
            await r.aclose()
            raise ApiError.from_response(service, r)
        return r, r.aiter_bytes()
