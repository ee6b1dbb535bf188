"""Login by OIDC authorization code with PKCE (RFC 7636 S256): Keycloak, or the dev issuer.

The console is a public client (``govproj-portal`` in deploy/keycloak/realm.json):
it keeps the PKCE verifier, ``state`` and ``nonce`` in its signed cookie while
the person is at the issuer, redeems the code itself, verifies the token like
every service does, and then keeps only the token in the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from libs.common.errors import Problem
from services.portal import session
from services.portal.web import render

router = APIRouter(include_in_schema=False)


def _challenge(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def _safe_next(target: str | None) -> str:
    # Only paths of this console: never an open redirect to another site.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def set_cookie(request: Request, response: Response, data: dict[str, Any]) -> None:
    response.set_cookie(
        session.COOKIE,
        session.encode(request.app.state.secret, data),
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookie_secure,
        max_age=8 * 3600,
        path="/",
    )


async def discovery(request: Request) -> dict[str, Any]:
    """The issuer's endpoints (cached for the process): authorization and token."""
    state = request.app.state
    if not getattr(state, "oidc", None):
        url = state.issuer.rstrip("/") + "/.well-known/openid-configuration"
        r = await state.http.get(url, timeout=5)
        r.raise_for_status()
        state.oidc = r.json()
    doc: dict[str, Any] = state.oidc
    return doc


@router.get("/login", response_class=HTMLResponse)
async def login(request: Request, next: str | None = None) -> Response:
    try:
        doc = await discovery(request)
    except Exception:  # the issuer is down: say so, in Chinese, instead of a 500
        return render(
            request,
            "error.html",
            None,
            503,
            title="无法登录",
            message="身份认证服务暂不可用，请稍后重试。",
        )
    verifier = secrets.token_urlsafe(48)
    st = secrets.token_urlsafe(16)
    nonce = secrets.token_urlsafe(16)
    settings = request.app.state.settings
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.client_id,
            "redirect_uri": f"{settings.base_url}/callback",
            "scope": "openid profile",
            "state": st,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    response = RedirectResponse(f"{doc['authorization_endpoint']}?{query}", status_code=303)
    set_cookie(
        request, response, {"pkce": verifier, "state": st, "nonce": nonce, "next": _safe_next(next)}
    )
    return response


@router.get("/callback", response_class=HTMLResponse)
async def callback(
    request: Request, code: str = "", state: str = "", error: str = "", error_description: str = ""
) -> Response:
    app = request.app.state
    pending = session.decode(app.secret, request.cookies.get(session.COOKIE))
    if error:
        return render(
            request,
            "error.html",
            None,
            400,
            title="登录未完成",
            message=f"身份认证服务拒绝了登录：{error_description or error}",
        )
    if (
        not code
        or not pending.get("pkce")
        or not secrets.compare_digest(str(pending.get("state", "")), state)
    ):
        return render(
            request,
            "error.html",
            None,
            400,
            title="登录未完成",
            message="登录请求已失效或不是从本系统发起的，请重新登录。",
        )
    doc = await discovery(request)
    settings = app.settings
    r = await app.http.post(
        doc["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f"{settings.base_url}/callback",
            "client_id": settings.client_id,
            "code_verifier": pending["pkce"],
        },
        timeout=10,
    )
    if r.status_code != 200:
        desc = (
            r.json().get("error_description", "")
            if r.headers.get("content-type", "").startswith("application/json")
            else ""
        )
        return render(
            request,
            "error.html",
            None,
            400,
            title="登录未完成",
            message=f"授权码兑换失败：{desc or r.status_code}",
        )
    token = r.json()["access_token"]
    try:
        subject = await app.verifier.verify(token)
    except Problem as exc:
        return render(
            request,
            "error.html",
            None,
            401,
            title="登录未完成",
            message=f"{exc.title}：{exc.detail}",
        )
    # Learn the names of the tenants this person may read, for headers and filters.
    from services.portal.client import Api, ApiError

    try:
        tenants = await Api(app.http, app.urls, token).get("registry", "/v1/tenants")
        app.tenant_names.update({t["code"]: t["name"] for t in tenants})
    except ApiError:
        pass
    response = RedirectResponse(_safe_next(pending.get("next")), status_code=303)
    set_cookie(request, response, {"token": token, "user": subject.user})
    return response


@router.post("/logout")
async def logout() -> Response:
    response = RedirectResponse("/signed-out", status_code=303)
    response.delete_cookie(session.COOKIE, path="/")
    return response


@router.get("/signed-out", response_class=HTMLResponse)
async def signed_out(request: Request) -> Response:
    return render(request, "signed_out.html", None)
