"""What every page shares: the logged-in person, their API client, rendering, role checks."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from libs import vocab
from libs.common.auth import AuthSubject
from libs.vocab import LabelKind, format_amount, format_time, format_wan, label
from services.portal import session
from services.portal.client import Api
from services.portal.csrf import csrf_token
from services.portal.navigation import breadcrumbs, current_entry, menu_for
from services.portal.oidc import subject_of

__all__ = ["CurrentUser", "LoginRequired", "NotAllowed", "User", "render", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Code → label tables for a form's choices (<option>s); everything shown goes
# through the filters below, which never print a code.
templates.env.globals.update(
    STATES=vocab.STATE_LABELS,
    ROUTES=vocab.ROUTE_LABELS,
    ROLES=vocab.ROLE_LABELS,
    SYSTEM_STATES=vocab.SYSTEM_STATES,
    SYSTEM_FACTS=vocab.SYSTEM_FACTS,
    DISPOSITIONS=vocab.DISPOSITIONS,
    TENANT_LEVELS=vocab.TENANT_LEVELS,
    DOC_TYPES=vocab.DOCUMENT_TYPES,
    SERVICE_TYPES=vocab.SERVICE_TYPES,
    PROJECT_CLASSES=vocab.PROJECT_CLASSES,
    FUNDING=vocab.FUNDING,
    PROCUREMENT_METHODS=vocab.PROCUREMENT_METHODS,
    EVALUATION_KINDS=vocab.EVALUATION_KINDS,
    CHANGE_KINDS=vocab.CHANGE_KINDS,
    BUDGET_LINES=vocab.BUDGET_LINES,
    LINE_FUNDING=vocab.LINE_FUNDING,
)

# Text other people typed (file names, titles) may carry bidirectional overrides
# that show "evil\u202efdp.exe" as "evilexe.pdf", or line separators that break
# a row apart. Every {{ … }} output passes through here: the overrides are
# dropped (the characters then read in their true order) and the separators
# become spaces. Jinja's autoescape still applies after this.
_BIDI_CONTROLS = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C], None
)
_SEPARATORS = {0x2028: " ", 0x2029: " ", 0x0085: " "}


def _neutral_text(value: object) -> object:
    if isinstance(value, str):
        return value.translate(_BIDI_CONTROLS).translate(_SEPARATORS)
    return value


templates.env.finalize = _neutral_text


def _label(code: object, kind: LabelKind) -> str:
    """``{{ s.state|label("step_state") }}``: the code's label, never the code (libs/vocab)."""
    return label(kind, code)


def _labels(codes: Iterable[object] | None, kind: LabelKind) -> str:
    """A list of codes as one phrase: ``{{ d.roles|labels("role") }}`` → "财政部门、审计部门"."""
    return "、".join(label(kind, c) for c in codes or ())


templates.env.filters.update(
    label=_label,
    labels=_labels,
    money=format_amount,  # 80万元（800,000元）
    wan=format_wan,  # 80万元, where only a short figure fits (charts)
    cst=format_time,  # Beijing time to the minute
)


def _article_anchor(citation: str | None) -> str:
    """The 第N条 of a citation ("第十二条第（一）项" → "第十二条"): the policy page's anchors."""
    m = re.search(r"第[^条]{1,6}条", citation or "")
    return m.group(0) if m else ""


templates.env.filters["article_anchor"] = _article_anchor


def _who(actor: object) -> str:
    """Who acted, as people name them: the person's name; the system; else their role.

    An account without a display name carries its login id as its name
    ("unit_officer@445100", "zhang_san"): that is a code, so the role is shown instead.
    """
    if not isinstance(actor, dict):
        return "—"
    if actor.get("type") == "system":
        return "系统"
    name, ident = actor.get("name"), actor.get("id")
    if name and name != ident and not re.fullmatch(r"[\w.@:-]+", str(name), re.ASCII):
        return str(name)
    return _labels(actor.get("roles"), "role") or "经办人"


templates.env.filters["who"] = _who


def _is_date(value: object) -> bool:
    """Whether a time limit's ``date`` is a calendar date (not a yearly ``--MM-DD`` cut-off)."""
    return isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None


def _limit_date(value: object) -> str:
    if _is_date(value):
        return str(value)
    if isinstance(value, str) and (md := re.fullmatch(r"--(\d{2})-(\d{2})", value)):
        return f"每年{int(md.group(1))}月{int(md.group(2))}日"
    return str(value or "—")


templates.env.tests["calendar_date"] = _is_date
templates.env.filters["limit_date"] = _limit_date


class LoginRequired(Exception):
    """No valid session: send the person to the login, then back here."""


class NotAllowed(Exception):
    """The page is not for the person's role (the services would refuse it too)."""

    def __init__(self, roles: tuple[str, ...]):
        super().__init__(roles)
        self.roles = roles


@dataclass
class User:
    """The person behind the request, as the services will see them."""

    subject: AuthSubject
    token: str
    api: Api
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def roles(self) -> frozenset[str]:
        return self.subject.roles

    @property
    def tenant(self) -> str:
        return self.subject.tenant

    @property
    def unit(self) -> str | None:
        return self.subject.unit_id

    def has(self, *roles: str) -> bool:
        return bool(self.subject.roles & set(roles))

    def require(self, *roles: str) -> None:
        if not self.has(*roles):
            raise NotAllowed(roles)


async def current_user(request: Request) -> User:
    """The person of the session (refreshed if it was due); else :class:`LoginRequired`.

    Who the person is comes from the ID token validated at login or refresh
    (services/portal/oidc.py); the access token is only forwarded to the
    services, which verify it on every call and answer 401 when it is no good.
    """
    state = request.app.state
    data = session.current(request, state.secret)
    token, person = data.get("access_token"), data.get("user")
    if not isinstance(token, str) or not isinstance(person, dict):
        raise LoginRequired
    subject = subject_of(person)
    return User(subject=subject, token=token, api=Api(state.http, state.urls, token))


CurrentUser = Annotated[User, Depends(current_user)]


def render(
    request: Request, template: str, user: User | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page: the template with the person, their tenant's name, the menu and breadcrumbs."""
    path = request.url.path
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "menu": menu_for(user) if user else [],
            "menu_current": current_entry(path),
            "breadcrumbs": breadcrumbs(path, context) if user else [],
            "tenant_names": request.app.state.tenant_names,
            "csrf": csrf_token(
                request.app.state.secret, session.binding(request.app.state.secret, request.cookies)
            ),
            **context,
        },
        status_code=status_code,
    )
