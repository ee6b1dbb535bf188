"""The development issuer's login: OIDC authorization code with PKCE (S256), as Keycloak does it.

The console (services/portal) sends a person to ``/authorize``; instead of a
password, the page lets them pick the tenant, role, unit and user a demo token
should carry (whoever can read the issuer's home can mint any token anyway).
The form posts back, the issuer redirects to the client's ``redirect_uri`` with a
one-time ``code``, and the client redeems it at ``/token`` with its
``code_verifier``. Codes live in this process only, for one minute, once.

The token answer is what Keycloak's is: an access token for the services
(``aud`` govproj, ``GOVPROJ_DEV_ISSUER_ACCESS_TOKEN_SECONDS``, default one hour),
an ID token for the client (``aud`` = its client id, the ``nonce`` it sent, the
login's ``sid``) and a refresh token. Refresh tokens are opaque, kept in this
process, rotated on every use and good for eight hours from the login; an issuer
restart forgets them (the console then sends the person to log in again).
``/logout`` (the ``end_session_endpoint``, RP-initiated logout 1.0) revokes
every refresh token of the login named by ``id_token_hint`` and returns to the
client's ``post_logout_redirect_uri``. The issuer keeps no login session of its
own: its page asks who you are on every login, so after a logout the next
login asks again.

Only what a public client with PKCE needs is implemented (RFC 6749 §4.1, §6,
RFC 7636, OIDC Core §3.1, §12); errors are answered as RFC 6749 §5.2 says,
with Chinese descriptions.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt
from fastapi import FastAPI, Form, Query
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from govproj.dev import demo
from libs.common.auth import ROLE_LABELS, ROLES, TENANT_PATTERN

__all__ = [
    "CODE_TTL_SECONDS",
    "REFRESH_TTL_SECONDS",
    "LoginFlow",
    "access_token_seconds",
    "install_login",
    "pkce_challenge",
]

CODE_TTL_SECONDS = 60
# A login lasts a working day, however often its access token is refreshed.
REFRESH_TTL_SECONDS = 8 * 3600


def access_token_seconds() -> int:
    """How long access and ID tokens live (``GOVPROJ_DEV_ISSUER_ACCESS_TOKEN_SECONDS``, 3600)."""
    value = int(os.environ.get("GOVPROJ_DEV_ISSUER_ACCESS_TOKEN_SECONDS", "3600"))
    if value <= 0:
        raise ValueError("GOVPROJ_DEV_ISSUER_ACCESS_TOKEN_SECONDS must be positive")
    return value


_CLIENTS_ALLOWED_HOSTS = ("127.0.0.1", "localhost", "::1")


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 §4.2 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    tenant: str
    roles: list[str]
    user: str
    unit: str | None
    expires: float
    # The login this grant belongs to (the ID token's ``sid``), and when it began.
    sid: str = field(default_factory=lambda: uuid.uuid4().hex)
    auth_time: int = field(default_factory=lambda: int(time.time()))


@dataclass
class LoginFlow:
    """Outstanding authorization codes and refresh tokens of one issuer process."""

    codes: dict[str, _Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, _Grant] = field(default_factory=dict)

    def issue(self, grant: _Grant) -> str:
        now = time.monotonic()
        for code in [c for c, g in self.codes.items() if g.expires < now]:
            del self.codes[code]
        code = secrets.token_urlsafe(32)
        self.codes[code] = grant
        return code

    def redeem(self, code: str) -> _Grant | None:
        grant = self.codes.pop(code, None)  # once only, whatever the outcome
        if grant is None or grant.expires < time.monotonic():
            return None
        return grant

    def keep(self, grant: _Grant) -> str:
        """A new refresh token for ``grant``'s login (which expires with the login)."""
        now = time.time()
        for token in [
            t for t, g in self.refresh_tokens.items() if g.auth_time + REFRESH_TTL_SECONDS < now
        ]:
            del self.refresh_tokens[token]
        token = secrets.token_urlsafe(32)
        self.refresh_tokens[token] = grant
        return token

    def rotate(self, token: str) -> _Grant | None:
        """The login of ``token``, which is used up (rotation: each refresh token serves once)."""
        grant = self.refresh_tokens.pop(token, None)
        if grant is None or grant.auth_time + REFRESH_TTL_SECONDS < time.time():
            return None
        return grant

    def end(self, sid: str) -> int:
        """Revoke every refresh token of the login ``sid``; how many there were."""
        ended = [t for t, g in self.refresh_tokens.items() if g.sid == sid]
        for token in ended:
            del self.refresh_tokens[token]
        return len(ended)


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>
<style>body{{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}
label{{display:block;margin-top:1rem;font-weight:600}}select,input{{width:100%;padding:.5rem;margin-top:.25rem;font-size:1rem;box-sizing:border-box}}
button{{margin-top:1.5rem;padding:.6rem 1.4rem;font-size:1rem;background:#0b4f9c;color:#fff;border:0;border-radius:4px}}
.note{{color:#4a4a4a;font-size:.9rem}}.error{{color:#a4000f;border:1px solid #a4000f;padding:.75rem}}</style>
</head><body><main>{body}</main></body></html>""",
        status_code=status,
    )


def _refusal(title: str, message: str) -> HTMLResponse:
    """A 400 page that says, under ``title``, why the request was refused."""
    return _page(
        title, f'<h1>{title}</h1><p class="error" role="alert">{html.escape(message)}</p>', 400
    )


def _redirect_uri_allowed(uri: str) -> bool:
    # A development issuer still must not hand codes to any site that asks: only
    # clients on this machine (the console on 127.0.0.1) may receive them.
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in _CLIENTS_ALLOWED_HOSTS


async def _units(
    registry_url: str | None, home: Path, issuer_url: str, tenant: str
) -> list[dict[str, str]]:
    """The tenant's units from the registry, read with a bureau token; [] when it does not answer."""
    if not registry_url:
        return []
    from govproj.dev.issuer import mint_token

    token = mint_token(
        home,
        issuer=issuer_url,
        audience="govproj",
        tenant=tenant,
        roles=["bureau_officer"],
        user="dev-issuer",
        ttl_seconds=60,
    )
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            r = await client.get(
                f"{registry_url.rstrip('/')}/v1/units",
                params={"tenant": tenant},
                headers={"Authorization": f"Bearer {token}"},
            )
    except httpx.HTTPError:
        return []
    if r.status_code != 200:
        return []
    return [{"id": str(u["id"]), "name": str(u["name"])} for u in r.json()]


def install_login(
    app: FastAPI, home: Path, issuer_url: str, *, registry_url: str | None = None
) -> LoginFlow:
    """Add ``/authorize``, ``/token``, ``/logout`` and ``/units`` to the issuer ``app``."""
    from govproj.dev.issuer import ALGORITHM, mint_token, signing_key

    flow = LoginFlow()
    app.state.login_flow = flow

    @app.get("/authorize", response_class=HTMLResponse, include_in_schema=False)
    async def authorize(
        response_type: str = "",
        client_id: str = "",
        redirect_uri: str = "",
        state: str = "",
        code_challenge: str = "",
        code_challenge_method: str = "",
        nonce: str | None = None,
        tenant: Annotated[str, Query(pattern=r"^[0-9]{6}$")] = "445322",
    ) -> HTMLResponse:
        problem = _check_request(
            response_type, client_id, redirect_uri, code_challenge, code_challenge_method
        )
        if problem:
            return _refusal("登录请求无效", problem)
        units = await _units(registry_url, home, issuer_url, tenant)
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
            for k, v in {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "code_challenge": code_challenge,
                "nonce": nonce or "",
            }.items()
        )
        tenants = "".join(
            f'<option value="{c}"{" selected" if c == tenant else ""}>{c} {html.escape(n)}</option>'
            for c, n, _, _ in demo.DEMO_TENANTS
        )
        roles = "".join(
            f'<option value="{r}">{html.escape(label)}（{r}）</option>'
            for r, label in ROLE_LABELS.items()
        )
        unit_options = '<option value="">（不限定建设单位）</option>' + "".join(
            f'<option value="{html.escape(u["id"])}">{html.escape(u["name"])}</option>'
            for u in units
        )
        # Changing the tenant reloads the page with that tenant's units (no script needed).
        reload_query = urlencode(
            {
                "response_type": response_type,
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": code_challenge_method,
                **({"nonce": nonce} if nonce else {}),
            }
        )
        body = f"""<h1>GovProj 开发环境登录</h1>
<p class="note">开发用签发者：选择辖区、角色、建设单位和用户即可登录（生产环境由 Keycloak 验证身份）。</p>
<form method="post" action="/authorize">
{hidden}
<label for="tenant">辖区（租户）</label>
<select id="tenant" name="tenant" onchange="location.href='/authorize?{html.escape(reload_query)}&amp;tenant='+this.value">{tenants}</select>
<label for="role">角色</label>
<select id="role" name="role">{roles}</select>
<label for="unit">建设单位</label>
<select id="unit" name="unit">{unit_options}</select>
<label for="user">用户</label>
<input id="user" name="user" value="" placeholder="留空则为“角色@辖区”" autocomplete="username">
<button type="submit">登录</button>
</form>"""
        return _page("GovProj 开发环境登录", body)

    @app.post("/authorize", include_in_schema=False, response_model=None)
    async def authorize_submit(
        client_id: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()],
        code_challenge: Annotated[str, Form()],
        tenant: Annotated[str, Form()],
        role: Annotated[str, Form()],
        state: Annotated[str, Form()] = "",
        nonce: Annotated[str, Form()] = "",
        unit: Annotated[str, Form()] = "",
        user: Annotated[str, Form()] = "",
    ) -> RedirectResponse | HTMLResponse:
        problem = _check_request("code", client_id, redirect_uri, code_challenge, "S256")
        if not problem and not TENANT_PATTERN.fullmatch(tenant):
            problem = f"辖区 {tenant!r} 不是六位行政区划代码"
        if not problem and role not in ROLES:
            problem = f"未知角色 {role!r}"
        if problem:
            return _refusal("登录请求无效", problem)
        grant = _Grant(
            client_id=client_id,
            redirect_uri=redirect_uri,
            challenge=code_challenge,
            nonce=nonce or None,
            tenant=tenant,
            roles=[role],
            user=user.strip() or f"{role}@{tenant}",
            unit=unit or None,
            expires=time.monotonic() + CODE_TTL_SECONDS,
        )
        code = flow.issue(grant)
        query = urlencode({"code": code, **({"state": state} if state else {})})
        sep = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{sep}{query}", status_code=303)

    @app.post("/token", include_in_schema=False)
    async def token(
        grant_type: Annotated[str, Form()] = "",
        code: Annotated[str, Form()] = "",
        redirect_uri: Annotated[str, Form()] = "",
        client_id: Annotated[str, Form()] = "",
        code_verifier: Annotated[str, Form()] = "",
        refresh_token: Annotated[str, Form()] = "",
    ) -> JSONResponse:
        if grant_type == "refresh_token":
            grant = flow.rotate(refresh_token)
            if grant is None:
                return _oauth_error("invalid_grant", "刷新令牌无效、已使用、已撤销或已过期")
            if grant.client_id != client_id:
                return _oauth_error("invalid_grant", "刷新令牌不是签发给该客户端的")
            return _tokens(grant, nonce=None)
        if grant_type != "authorization_code":
            return _oauth_error(
                "unsupported_grant_type", "只支持 authorization_code 和 refresh_token"
            )
        grant = flow.redeem(code)
        if grant is None:
            return _oauth_error("invalid_grant", "授权码无效、已使用或已过期")
        if grant.client_id != client_id or grant.redirect_uri != redirect_uri:
            return _oauth_error("invalid_grant", "授权码不是签发给该客户端或回调地址的")
        if not code_verifier or pkce_challenge(code_verifier) != grant.challenge:
            return _oauth_error(
                "invalid_grant", "PKCE 校验失败：code_verifier 与 code_challenge 不符"
            )
        return _tokens(grant, nonce=grant.nonce)

    def _tokens(grant: _Grant, *, nonce: str | None) -> JSONResponse:
        ttl = access_token_seconds()
        name = demo.DEMO_USERS.get(grant.roles[0])
        access = mint_token(
            home,
            issuer=issuer_url,
            audience="govproj",
            tenant=grant.tenant,
            roles=grant.roles,
            user=grant.user,
            name=name,
            unit=grant.unit,
            ttl_seconds=ttl,
        )
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ttl,
            "id_token": _id_token(grant, nonce=nonce, name=name, ttl=ttl),
            "refresh_token": flow.keep(grant),
            "scope": "openid profile",
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _id_token(grant: _Grant, *, nonce: str | None, name: str | None, ttl: int) -> str:
        """OIDC Core §2: for the client (aud), with the nonce it sent; §12.2: none on refresh."""
        key = signing_key(home)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer_url,
            "sub": grant.user,
            "aud": grant.client_id,
            "azp": grant.client_id,
            "iat": now,
            "exp": now + ttl,
            "auth_time": grant.auth_time,
            "sid": grant.sid,
            "name": name or grant.user,
            "preferred_username": grant.user,
            "tenant": grant.tenant,
            "roles": grant.roles,
        }
        if nonce:
            claims["nonce"] = nonce
        if grant.unit:
            claims["unit"] = grant.unit
        return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})

    @app.get("/logout", include_in_schema=False, response_model=None)
    async def end_session(
        id_token_hint: str = "",
        post_logout_redirect_uri: str = "",
        client_id: str = "",
        state: str = "",
    ) -> RedirectResponse | HTMLResponse:
        """RP-initiated logout: end the login of ``id_token_hint``, then back to the client."""
        if id_token_hint:
            try:
                # An expired hint still names the login to end (RP-Initiated Logout §2).
                hint = jwt.decode(
                    id_token_hint,
                    signing_key(home).private_key.public_key(),
                    algorithms=[ALGORITHM],
                    issuer=issuer_url,
                    options={"verify_exp": False, "verify_aud": False},
                )
            except jwt.PyJWTError:
                return _refusal("退出未完成", "id_token_hint 无效。")
            flow.end(str(hint.get("sid", "")))
            client_id = client_id or str(hint.get("aud", ""))
        if post_logout_redirect_uri and _redirect_uri_allowed(post_logout_redirect_uri):
            query = urlencode({"state": state}) if state else ""
            sep = "&" if "?" in post_logout_redirect_uri else "?"
            return RedirectResponse(
                f"{post_logout_redirect_uri}{sep}{query}" if query else post_logout_redirect_uri,
                status_code=303,
            )
        return _page("已退出", "<h1>已退出</h1><p>您已退出开发环境登录。</p>")

    @app.get("/units", include_in_schema=False)
    async def units(tenant: Annotated[str, Query(pattern=r"^[0-9]{6}$")]) -> list[dict[str, str]]:
        return await _units(registry_url, home, issuer_url, tenant)

    return flow


def _check_request(
    response_type: str, client_id: str, redirect_uri: str, challenge: str, method: str
) -> str | None:
    """Why an authorization request cannot be served (Chinese), or None."""
    if response_type != "code":
        return "只支持授权码模式（response_type=code）"
    if not client_id:
        return "缺少 client_id"
    if not _redirect_uri_allowed(redirect_uri):
        return f"回调地址不被接受：{redirect_uri or '（空）'}（开发签发者只回调本机地址）"
    if method != "S256" or not (43 <= len(challenge) <= 128):
        return "须使用 PKCE（code_challenge_method=S256，code_challenge 为 43–128 个字符）"
    return None
