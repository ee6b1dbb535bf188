"""Form input checked here first, so a person reads what is wrong in Chinese before any service is called."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from libs.vocab import AmountError, parse_amount
from services.portal.client import ApiError
from services.portal.web import User

__all__ = [
    "NOTHING",
    "FormErrors",
    "Invalid",
    "Shown",
    "answer_or_refusal",
    "choice",
    "date",
    "drawn_version",
    "flag",
    "form_key",
    "new_key",
    "post_redirect_get",
    "project_payload",
    "redraw",
    "text",
    "yuan",
]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Invalid(Exception):
    """What the person must fix, in Chinese."""


def text(form: FormData, field: str, label: str, *, required: bool = True) -> str | None:
    value = str(form.get(field) or "").strip()
    if required and not value:
        raise Invalid(f"请填写{label}")
    return value or None


def date(form: FormData, field: str, label: str) -> str:
    value = str(form.get(field) or "").strip()
    if not _DATE.fullmatch(value):
        raise Invalid(f"请填写{label}（年-月-日）")
    return value


def yuan(form: FormData, field: str, label: str) -> int:
    """An amount as people type it: "75万", "75万元", "750,000" or "750000" (integer yuan)."""
    try:
        return parse_amount(str(form.get(field) or ""), field=label)
    except AmountError as exc:
        raise Invalid(exc.message) from None


def choice(
    form: FormData, field: str, label: str, choices: Mapping[str, str] | tuple[str, ...]
) -> str:
    value = str(form.get(field) or "")
    if value not in choices:
        raise Invalid(f"请选择{label}")
    return value


def drawn_version(form: FormData) -> int:
    """The version of the record the page was drawn from: an edit's If-Match, so a change
    made meanwhile is refused rather than overwritten."""
    version = str(form.get("version") or "")
    if not version.isdigit():
        raise Invalid("页面已过期，请刷新后再修改")
    return int(version)


def flag(form: FormData, field: str) -> bool:
    """A checkbox: present ("on") or absent."""
    return form.get(field) == "on"


@dataclass(frozen=True)
class Shown:
    """What a page shows beside its forms: a refusal (its status, what was typed) or a notice."""

    error: str | None = None
    notice: str | None = None
    status: int = 200
    values: Mapping[str, Any] = field(default_factory=dict)
    error_title: str | None = None  # a service's own title for its refusal

    @classmethod
    def refusal(cls, exc: ApiError, values: Mapping[str, Any] | None = None) -> Shown:
        """A service's problem+json for the page's alert box: its Chinese title, then the detail."""
        detail = exc.labelled_detail or exc.title
        return cls(detail, status=exc.status, values=values or {}, error_title=exc.title)

    def context(self, *, error_title: str = "操作未完成") -> dict[str, Any]:
        """The template's ``error`` under ``error_title`` (the page's own words unless the
        service gave one), ``notice``, ``v`` (what was typed) and a fresh ``form_key``."""
        return {
            "error": self.error,
            "error_title": self.error_title or error_title,
            "notice": self.notice,
            "v": dict(self.values),
            "form_key": new_key(),
        }


NOTHING = Shown()


def new_key() -> str:
    """A fresh Idempotency-Key for the forms of a page being drawn."""
    return str(uuid.uuid4())


def form_key(form: FormData) -> str:
    """The form's own Idempotency-Key (made when the page was drawn): a resent form changes nothing twice."""
    return str(form.get("idempotency_key") or "") or str(uuid.uuid4())


def redraw(
    page: Callable[..., Awaitable[Response]],
    request: Request,
    user: User,
    *args: Any,
    form: FormData | None = None,
) -> Callable[[str, int], Awaitable[Response]]:
    """The ``again`` of :func:`post_redirect_get` for a page drawn as ``page(request, user, *args, shown)``.

    The refusal's message and status go beside the form; what was typed is kept when
    ``form`` is given (a form of fields, not a single button).
    """

    async def again(message: str, status: int) -> Response:
        values = dict(form) if form is not None else {}
        return await page(request, user, *args, Shown(message, status=status, values=values))

    return again


async def answer_or_refusal(call: Awaitable[Any], values: Mapping[str, Any] | None = None) -> Any:
    """Await a service call: its answer, or the :class:`Shown` of the service's refusal
    (with what was typed, ``values``) for the page to draw again beside its form.

    A 401 is no refusal to show: it goes on to the login (the session ended).
    """
    try:
        return await call
    except ApiError as exc:
        if exc.status == 401:
            raise
        return Shown.refusal(exc, values)


async def post_redirect_get(
    act: Callable[[], Awaitable[Any]],
    *,
    then: str,
    again: Callable[[str, int], Awaitable[Response]],
    fields: Mapping[str, str] | None = None,
) -> Response:
    """Do the change, then send the browser to ``then`` (303), so the page shown is the new state.

    A form the console refuses (:class:`Invalid`, 422) or a service's problem is
    drawn again by ``again(message, status)`` with the message beside the form;
    a 401 goes on to the login (the session ended). ``fields`` names the form's
    fields where the shared labels would mislead ("name" of a unit is 单位名称).
    """
    try:
        await act()
    except Invalid as exc:
        return await again(str(exc), 422)
    except ApiError as exc:
        if exc.status == 401:
            raise
        return await again(exc.message_for(fields), exc.status)
    return RedirectResponse(then, status_code=303)


class FormErrors(Exception):
    """One message per field, in Chinese."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors

    @property
    def summary(self) -> str:
        return "；".join(self.errors.values())


def _yuan(
    form: FormData, field: str, label: str, errors: dict[str, str], *, required: bool
) -> int | None:
    """An amount as people type it ("80万", "80万元", "800,000", "800000") in integer yuan."""
    raw = str(form.get(field) or "").strip()
    if not raw:
        if required:
            errors[field] = f"请填写{label}（例如“80万”或“800000”）"
        return None
    try:
        return parse_amount(raw, field=label)
    except AmountError as exc:
        errors[field] = exc.message
        return None


def project_payload(form: FormData) -> dict[str, Any]:
    """The registry's ProjectCreate body from the project form; :class:`FormErrors` if unfit."""
    errors: dict[str, str] = {}
    name = str(form.get("name") or "").strip()
    if not name:
        errors["name"] = "请填写项目名称"
    elif len(name) > 200:
        errors["name"] = "项目名称不能超过200个字"
    unit_id = str(form.get("unit_id") or "")
    if not unit_id:
        errors["unit_id"] = "请选择建设单位"
    year_raw = str(form.get("year") or "").strip()
    year = int(year_raw) if year_raw.isdigit() else 0
    if not 2000 <= year <= 2100:
        errors["year"] = "建设年度须为2000至2100之间的年份"
    project_class = str(form.get("project_class") or "")
    if project_class not in ("public", "professional"):
        errors["project_class"] = "请选择项目类别（公共类或专业类）"
    amount = _yuan(form, "amount", "总投资", errors, required=True)
    software = _yuan(form, "software_amount", "应用软件开发费用", errors, required=False)
    if amount is not None and software is not None and software > amount:
        errors["software_amount"] = "应用软件开发费用不能超过总投资"
    service_types = [str(v) for v in form.getlist("service_types")]
    if not service_types:
        errors["service_types"] = "请至少选择一种服务类型"
    if errors:
        raise FormErrors(errors)
    facts: dict[str, Any] = {
        "project_class": project_class,
        "service_types": service_types,
        "amount": amount,
        "funding": str(form.get("funding") or "fiscal"),
    }
    if software is not None:
        facts["software_amount"] = software
    for flag in ("uses_crypto", "new_fiscal_funds", "mandated", "classified"):
        facts[flag] = form.get(flag) == "on"
    excluded = str(form.get("excluded_kind") or "")
    if excluded:
        facts["excluded_kind"] = excluded
    body: dict[str, Any] = {
        "name": name,
        "unit_id": unit_id,
        "year": year,
        "description": str(form.get("description") or "").strip() or None,
        "facts": facts,
    }
    demand = str(form.get("demand_item_id") or "")
    body["demand_item_id"] = demand or None
    return body
