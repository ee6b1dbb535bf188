"""Login by OpenID Connect, with Authlib: code + PKCE, ID token, refresh, RP-initiated logout.

The console is a public client (``govproj-portal`` in deploy/keycloak/realm.json).
Authlib's ``AsyncOAuth2Client`` builds the authorization request (PKCE S256,
``state``, ``nonce``, the access token's ``resource``/``audience`` when set),
redeems the code and refreshes; joserfc verifies the ID token's signature with
the provider's JWKS and Authlib's ``CodeIDToken`` checks its claims (``iss``,
``aud`` = our client id, ``exp``, ``iat``, ``nonce`` = the one we sent,
``azp``, ``at_hash``). Who the person is (tenant, roles, unit, name) comes from
that ID token; the access token is never parsed here — it may be opaque — and
is only forwarded to the services, which verify it themselves.

Sessions are refreshed by :class:`SessionRefresher` on any request shortly
before the access token expires; a refused refresh ends the session and sends
the person to log in and back (docs/portal.md "Login").
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from starlette.requests import cookie_parser

from libs.common.auth import TENANT_PATTERN, AuthSubject, roles_from_claims
from services.portal import session
from services.portal.settings import PortalSettings

__all__ = [
    "ID_TOKEN_ALGORITHMS",
    "OidcClient",
    "OidcError",
    "SessionRefresher",
    "login_required",
    "router",
    "subject_of",
]

router = APIRouter(include_in_schema=False)

# Asymmetric signatures only (architecture.md "Identity"): never "none" nor an
# HMAC keyed with something the client knows. "Ed25519" is the fully-specified
# name (RFC 9864) some providers now publish instead of "EdDSA".
ID_TOKEN_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "Ed25519",
)
_DISCOVERY_SECONDS = 3600
# A refreshed session answered to every request that still carries the old
# refresh token for this long (the browser may have sent several before it got
# the new cookie; a provider that rotates refresh tokens would treat a second
# use as theft and revoke the whole login).
_REFRESH_REUSE_SECONDS = 60
# A posted form is kept through the login for this long, then forgotten.
_FORM_SECONDS = 15 * 60
_FORM_MAX_BYTES = 2000
# Paths that write the session themselves, or need none.
_NO_REFRESH = ("/login", "/callback", "/logout", "/signed-out", "/static/", "/healthz", "/readyz")


class OidcError(Exception):
    """A login or refresh that cannot complete; ``message`` is for the person (Chinese)."""

    def __init__(self, message: str, *, refused: bool = True):
        super().__init__(message)
        self.message = message
        # False: the provider could not be reached (try again); True: it said no.
        self.refused = refused


class OidcClient:
    """The console's side of OpenID Connect against one provider (discovery-driven).

    Parameters
    ----------
    issuer
        The provider's issuer URL (``GOVPROJ_OIDC_ISSUER``); discovery must name it exactly.
    settings
        The console's settings: client id, redirect base, scope, resource/audience.
    roles_audience
        The services' audience (``GOVPROJ_OIDC_AUDIENCE``), whose client roles count.
    transport
        An httpx transport for every call to the provider (tests pass a mock one).
    leeway_seconds
        Clock skew tolerated on the ID token's ``exp`` and ``iat``.
    """

    def __init__(
        self,
        *,
        issuer: str,
        settings: PortalSettings,
        roles_audience: str = "govproj",
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        leeway_seconds: float = 30,
    ) -> None:
        self.issuer = issuer
        # Clock skew tolerated on the ID token's exp/iat, as the services tolerate
        # on access tokens (GOVPROJ_TOKEN_LEEWAY_SECONDS).
        self.leeway_seconds = leeway_seconds
        self.settings = settings
        # Keycloak's client roles are read for the services' audience (as they read them).
        self.roles_audience = roles_audience
        self._transport = transport
        self._clock = clock
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._lock = asyncio.Lock()
        self._inflight: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._refreshed: dict[str, tuple[float, dict[str, Any]]] = {}

    def now(self) -> float:
        """Seconds since the epoch, by this client's clock (tests move it)."""
        return self._clock()

    @property
    def redirect_uri(self) -> str:
        return f"{self.settings.base_url}/callback"

    def _oauth(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.settings.client_id,
            # A public client: PKCE instead of a secret ("none" is no password).
            token_endpoint_auth_method="none",  # noqa: S106
            scope=self.settings.scope,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=10,
            transport=self._transport,
        )

    def _extra(self) -> dict[str, str]:
        extra: dict[str, str] = {}
        if self.settings.resource:
            extra["resource"] = self.settings.resource
        if self.settings.audience:
            extra["audience"] = self.settings.audience
        return extra

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (cached for an hour)."""
        if self._metadata is not None and self._clock() - self._metadata_at < _DISCOVERY_SECONDS:
            return self._metadata
        async with self._lock:
            if self._metadata is None or self._clock() - self._metadata_at >= _DISCOVERY_SECONDS:
                url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
                try:
                    async with httpx.AsyncClient(transport=self._transport, timeout=5) as http:
                        answer = await http.get(url, headers={"Accept": "application/json"})
                        answer.raise_for_status()
                        document = answer.json()
                except (httpx.HTTPError, ValueError) as exc:
                    raise OidcError("身份认证服务暂不可用，请稍后重试。", refused=False) from exc
                # OpenID Connect Discovery §4.3: the document must name the issuer we asked.
                if not isinstance(document, dict) or document.get("issuer") != self.issuer:
                    raise OidcError("身份认证服务的配置与本系统设置的签发者不符。")
                self._metadata = document
                self._metadata_at = self._clock()
                self._keys = None
        return self._metadata

    async def _key_set(self, *, force: bool = False) -> KeySet:
        if self._keys is not None and not force:
            return self._keys
        metadata = await self.metadata()
        try:
            async with httpx.AsyncClient(transport=self._transport, timeout=5) as http:
                answer = await http.get(str(metadata["jwks_uri"]))
                answer.raise_for_status()
                document = answer.json()
            # Only signing keys of asymmetric types; an "oct" key must never verify.
            keys = [
                k
                for k in document.get("keys", [])
                if isinstance(k, dict)
                and k.get("kty") in ("RSA", "EC", "OKP")
                and k.get("use", "sig") == "sig"
            ]
            self._keys = KeySet.import_key_set({"keys": keys})
        except (httpx.HTTPError, ValueError, KeyError, JoseError) as exc:
            raise OidcError("无法取得身份认证服务的签名公钥，请稍后重试。", refused=False) from exc
        return self._keys

    async def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        """Where to send the person: the provider's login, for a code bound to our PKCE verifier."""
        metadata = await self.metadata()
        async with self._oauth() as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"],
                state=state,
                code_verifier=code_verifier,
                nonce=nonce,
                **self._extra(),
            )
        return str(url)

    async def exchange(self, *, code: str, code_verifier: str) -> dict[str, Any]:
        """Redeem ``code`` at the token endpoint (with the PKCE verifier)."""
        metadata = await self.metadata()
        async with self._oauth() as client:
            try:
                token = await client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                    **self._extra(),
                )
            except OAuthError as exc:
                raise OidcError(f"授权码兑换失败：{exc.description or exc.error}") from exc
            except httpx.HTTPError as exc:
                raise OidcError("身份认证服务暂不可用，请稍后重试。", refused=False) from exc
        return dict(token)

    async def validate_id_token(
        self,
        id_token: str,
        *,
        nonce: str | None,
        access_token: str | None = None,
        subject: str | None = None,
    ) -> dict[str, Any]:
        """The claims of a valid ID token of ours, else :class:`OidcError`.

        ``nonce`` is the one sent with the authorization request (None for a
        refreshed ID token, OIDC Core §12.2, which must then name ``subject``).
        """
        metadata = await self.metadata()
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in ID_TOKEN_ALGORITHMS if a in offered]
        if not algorithms:
            raise OidcError("身份认证服务只提供本系统不接受的签名算法（须为非对称算法）。")
        registry = JWSRegistry(algorithms=algorithms)
        try:
            try:
                token = jwt.decode(id_token, await self._key_set(), registry=registry)
            except InvalidKeyIdError:
                # The provider may have rotated its keys since we fetched them.
                token = jwt.decode(id_token, await self._key_set(force=True), registry=registry)
            claims = CodeIDToken(
                token.claims,
                token.header,
                {
                    "iss": {"essential": True, "value": self.issuer},
                    "aud": {"essential": True, "value": self.settings.client_id},
                },
                {
                    "nonce": nonce,
                    "client_id": self.settings.client_id,
                    "access_token": access_token,
                },
            )
            claims.validate(leeway=self.leeway_seconds)
        except JoseError as exc:
            raise OidcError(
                f"身份令牌（ID Token）校验未通过：{exc.description or exc.error}"
            ) from exc
        except ValueError as exc:  # not a JWS at all
            raise OidcError("身份令牌（ID Token）格式错误。") from exc
        if nonce is not None and claims.get("nonce") != nonce:
            # Authlib checks a nonce it is given; an empty one must not pass either.
            raise OidcError("身份令牌（ID Token）校验未通过：nonce 不符")
        if subject is not None and claims.get("sub") != subject:
            raise OidcError("刷新后的身份令牌不是同一用户的。")
        return dict(claims)

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        """New tokens for ``refresh_token`` (the refresh_token grant); at most one call per token.

        Concurrent requests of one browser carrying the same refresh token share
        one call and its answer (see ``_REFRESH_REUSE_SECONDS``).
        """
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        now = self._clock()
        for old in [
            k for k, (at, _) in self._refreshed.items() if now - at > _REFRESH_REUSE_SECONDS
        ]:
            del self._refreshed[old]
        if key in self._refreshed:
            return self._refreshed[key][1]
        if key in self._inflight:
            return await asyncio.shield(self._inflight[key])
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            token = await self._refresh(refresh_token)
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        except BaseException:  # cancelled: the waiting requests are cancelled with it
            future.cancel()
            raise
        finally:
            del self._inflight[key]
        self._refreshed[key] = (self._clock(), token)
        future.set_result(token)
        return token

    async def _refresh(self, refresh_token: str) -> dict[str, Any]:
        metadata = await self.metadata()
        async with self._oauth() as client:
            try:
                token = await client.refresh_token(
                    metadata["token_endpoint"], refresh_token=refresh_token, **self._extra()
                )
            except OAuthError as exc:
                raise OidcError(f"登录已失效：{exc.description or exc.error}") from exc
            except httpx.HTTPError as exc:
                raise OidcError("身份认证服务暂不可用，请稍后重试。", refused=False) from exc
        return dict(token)

    async def logout_url(self, *, id_token: str | None) -> str | None:
        """RP-initiated logout at the provider, back to /signed-out; None if it has no such endpoint."""
        metadata = await self.metadata()
        endpoint = metadata.get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        params = {
            "client_id": self.settings.client_id,
            "post_logout_redirect_uri": f"{self.settings.base_url}/signed-out",
        }
        if id_token:
            params["id_token_hint"] = id_token
        return str(add_params_to_uri(endpoint, params))


def person_of(claims: dict[str, Any], *, audience: str | None) -> dict[str, Any]:
    """What the console keeps of an ID token: who, in which tenant, with which roles and unit."""
    tenant = claims.get("tenant")
    if not isinstance(tenant, str) or not TENANT_PATTERN.fullmatch(tenant):
        raise OidcError("身份令牌缺少所属辖区（tenant 声明，六位行政区划代码），请联系管理员。")
    unit = claims.get("unit")
    name = claims.get("name") or claims.get("preferred_username") or claims["sub"]
    return {
        "sub": claims["sub"],
        "name": name if isinstance(name, str) else str(claims["sub"]),
        "tenant": tenant,
        "roles": sorted(roles_from_claims(claims, audience=audience)),
        "unit": unit if isinstance(unit, str) and unit else None,
    }


def subject_of(person: dict[str, Any]) -> AuthSubject:
    """The person of a session as the services' :class:`AuthSubject` (for menus and checks)."""
    return AuthSubject.build(
        user=str(person["sub"]),
        name=str(person["name"]),
        tenant=str(person["tenant"]),
        roles=frozenset(person.get("roles") or ()),
        unit_id=person.get("unit"),
    )


def _session_from(
    token: dict[str, Any], person: dict[str, Any], *, sid: str, id_token: str | None, now: float
) -> dict[str, Any]:
    expires_in = token.get("expires_in")
    lifetime = int(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else None
    return {
        "sid": sid,
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "id_token": id_token,
        "expires_at": int(now) + lifetime if lifetime else None,
        "lifetime": lifetime,
        "user": person,
    }


def refresh_due(data: dict[str, Any], *, now: float, margin: int) -> bool:
    """Whether the session's access token is close enough to its expiry to refresh it now."""
    expires_at, lifetime = data.get("expires_at"), data.get("lifetime")
    if not data.get("refresh_token") or not isinstance(expires_at, int):
        return False
    window = min(margin, (lifetime or margin * 2) / 2)
    return now >= expires_at - window


async def refreshed_session(client: OidcClient, data: dict[str, Any]) -> dict[str, Any] | None:
    """``data`` with new tokens; None when the provider refused (the login has ended).

    When the provider cannot be reached the old session is kept: its token may
    still be good, and if it is not the services answer 401 and the person logs in.
    """
    try:
        token = await client.refresh(str(data["refresh_token"]))
        person = data["user"]
        id_token = token.get("id_token")
        if isinstance(id_token, str):
            claims = await client.validate_id_token(
                id_token, nonce=None, access_token=token["access_token"], subject=person["sub"]
            )
            person = person_of(claims, audience=client.roles_audience)
        new = _session_from(
            token,
            person,
            sid=str(data["sid"]),
            id_token=id_token if isinstance(id_token, str) else data.get("id_token"),
            now=client.now(),
        )
        # A provider that does not rotate refresh tokens answers without one.
        new["refresh_token"] = token.get("refresh_token") or data["refresh_token"]
        return new
    except OidcError as exc:
        return None if exc.refused else data


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SessionRefresher:
    """ASGI middleware: refresh the session's tokens shortly before they expire, on any request.

    The request then runs with the new session (``request.state``), and the
    response carries the new cookies. A refused refresh runs the request with no
    session, so the page sends the person to log in and back.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_NO_REFRESH):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        settings: PortalSettings = state.settings
        client: OidcClient = state.oidc
        headers = dict(scope.get("headers") or [])
        cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
        data = session.decode(state.secret, session.read(cookies))
        now = client.now()
        if not data or not refresh_due(data, now=now, margin=settings.refresh_margin_seconds):
            await self.app(scope, receive, send)
            return
        new = await refreshed_session(client, data)
        if new is data:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})[session.STATE_KEY] = new or {}
        carrier = Response()
        if new:
            session.write(
                carrier,
                state.secret,
                new,
                secure=settings.cookie_secure,
                max_age=settings.session_max_age_seconds,
            )
        else:
            session.clear(carrier)
        extra = [(k, v) for k, v in carrier.raw_headers if k == b"set-cookie"]

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def _safe_next(target: str | None) -> str:
    # Only paths of this console: never an open redirect to another site.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _flow_cookie(request: Request, response: Response, data: dict[str, Any]) -> None:
    settings: PortalSettings = request.app.state.settings
    session.write(
        response,
        request.app.state.secret,
        data,
        secure=settings.cookie_secure,
        max_age=settings.session_max_age_seconds,
    )


def _error(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    from services.portal.web import render

    return render(request, "error.html", None, status, title=title, message=message)


@router.get("/login", response_class=HTMLResponse)
async def login(request: Request, next: str | None = None) -> Response:
    client: OidcClient = request.app.state.oidc
    verifier = secrets.token_urlsafe(48)
    st = secrets.token_urlsafe(16)
    nonce = secrets.token_urlsafe(16)
    try:
        url = await client.authorization_url(state=st, nonce=nonce, code_verifier=verifier)
    except OidcError as exc:  # the provider is down: say so, in Chinese, instead of a 500
        return _error(request, 503, "无法登录", exc.message)
    response = RedirectResponse(url, status_code=303)
    _flow_cookie(
        request, response, {"pkce": verifier, "state": st, "nonce": nonce, "next": _safe_next(next)}
    )
    return response


@router.get("/callback", response_class=HTMLResponse)
async def callback(
    request: Request, code: str = "", state: str = "", error: str = "", error_description: str = ""
) -> Response:
    app = request.app.state
    client: OidcClient = app.oidc
    pending = session.decode(app.secret, session.read(request.cookies))
    if error:
        return _error(
            request, 400, "登录未完成", f"身份认证服务拒绝了登录：{error_description or error}"
        )
    if (
        not code
        or not pending.get("pkce")
        or not secrets.compare_digest(str(pending.get("state", "")), state)
    ):
        return _error(
            request, 400, "登录未完成", "登录请求已失效或不是从本系统发起的，请重新登录。"
        )
    try:
        token = await client.exchange(code=code, code_verifier=str(pending["pkce"]))
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("身份认证服务没有返回身份令牌（ID Token）。")
        claims = await client.validate_id_token(
            id_token, nonce=str(pending["nonce"]), access_token=token.get("access_token")
        )
        person = person_of(claims, audience=client.roles_audience)
    except OidcError as exc:
        return _error(request, 401 if exc.refused else 503, "登录未完成", exc.message)
    data = _session_from(
        token, person, sid=secrets.token_urlsafe(16), id_token=id_token, now=client.now()
    )
    # Learn the names of the tenants this person may read, for headers and filters.
    from services.portal.client import Api, ApiError

    try:
        tenants = await Api(app.http, app.urls, token["access_token"]).get(
            "registry", "/v1/tenants"
        )
        app.tenant_names.update({t["code"]: t["name"] for t in tenants})
    except ApiError:
        pass
    target = _safe_next(pending.get("next"))
    if _pending_form(request, person["sub"]) is not None:
        target = "/resume"
    response = RedirectResponse(target, status_code=303)
    _flow_cookie(request, response, data)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session here AND at the provider, so the next login asks for credentials."""
    app = request.app.state
    data = session.current(request, app.secret)
    client: OidcClient = app.oidc
    try:
        url = await client.logout_url(id_token=data.get("id_token"))
    except OidcError:
        url = None  # the provider is down: at least this console forgets the person
    response = RedirectResponse(url or "/signed-out", status_code=303)
    session.clear(response)
    response.delete_cookie(session.FORM_COOKIE, path="/")
    return response


@router.get("/signed-out", response_class=HTMLResponse)
async def signed_out(request: Request) -> Response:
    from services.portal.web import render

    return render(request, "signed_out.html", None)


def _pending_form(request: Request, sub: str) -> dict[str, Any] | None:
    form = session.decode(request.app.state.secret, request.cookies.get(session.FORM_COOKIE))
    if not form or time.time() - float(form.get("at", 0)) > _FORM_SECONDS:
        return None
    # Typed by someone else before this login: never shown to another person.
    if form.get("sub") not in (None, sub):
        return None
    return form


@router.get("/resume", response_class=HTMLResponse)
async def resume(request: Request) -> Response:
    """A form posted while the session had ended, offered again after the login (one round trip)."""
    from services.portal.web import current_user, render

    user = await current_user(request)
    form = _pending_form(request, user.subject.user)
    if form is None:
        response: Response = RedirectResponse("/", status_code=303)
    else:
        response = render(
            request,
            "resume.html",
            user,
            action=_safe_next(form.get("action")),
            back=_safe_next(form.get("back")),
            fields=form.get("fields") or [],
        )
    response.delete_cookie(session.FORM_COOKIE, path="/")
    return response


def _same_origin_path(request: Request, url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    own = urlsplit(request.app.state.settings.base_url)
    if parts.netloc and parts.netloc not in (own.netloc, request.headers.get("host")):
        return None
    return _safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


async def login_required(request: Request) -> Response:
    """Send the person to log in and back to this page; a posted form is kept for one round trip."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request") or "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"title": "登录已失效，请重新登录"}, status_code=401)
    if request.method != "POST":
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    # A POST: back to the page the form was on (its Referer), and keep what was typed.
    back = _same_origin_path(request, request.headers.get("referer")) or "/"
    response = RedirectResponse(f"/login?next={quote(back)}", status_code=303)
    fields: list[list[str]] = []
    try:
        form = await request.form()
        for key, value in form.multi_items():
            if not isinstance(value, str):
                fields = []  # a file cannot travel in a cookie: the page is shown again instead
                break
            if key != "_csrf":
                fields.append([key, value])
    except Exception:  # an unreadable body: nothing to keep, the login still happens
        fields = []
    if fields:
        old = session.decode(request.app.state.secret, session.read(request.cookies))
        kept = {
            "action": request.url.path,
            "back": back,
            "fields": fields,
            "sub": (old.get("user") or {}).get("sub"),
            "at": int(time.time()),
        }
        value = session.encode(request.app.state.secret, kept)
        if len(value) <= _FORM_MAX_BYTES:
            response.set_cookie(
                session.FORM_COOKIE,
                value,
                httponly=True,
                samesite="lax",
                secure=request.app.state.settings.cookie_secure,
                max_age=_FORM_SECONDS,
                path="/",
            )
    return response
