"""The console's login by the book: ID token checks, refresh, RP-initiated logout, kept forms.

Two providers: a minimal fake one (httpx.MockTransport) that signs ID tokens
with an Ed25519 key and hands out an opaque access token, for the ID token
checks; and the real dev issuer app (govproj/dev), in process, for the whole
flow: login, a refresh shortly before expiry, a refused refresh, logout.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import OctKey, OKPKey

from govproj.dev.issuer import create_issuer_app
from libs.common.settings import SERVICES, CommonSettings
from services.portal import session
from services.portal.app import create_app
from services.portal.csrf import csrf_token
from services.portal.oidc import OidcClient, OidcError, refresh_due
from services.portal.settings import PortalSettings
from services.portal.web import CurrentUser

ISSUER = "https://op.test"
PORTAL = "http://portal.test"
SECRET = "test-secret"


def _settings(**extra: Any) -> PortalSettings:
    extra.setdefault("public_url", PORTAL)
    return PortalSettings(
        session_secret=SECRET,
        service_urls={s: "http://127.0.0.1:9" for s in SERVICES},
        **extra,
    )


# --- the ID token, against a fake provider -----------------------------------------


class FakeProvider:
    """Discovery, JWKS and a token endpoint that answers with ``self.id_token``."""

    def __init__(self, algs: list[str]) -> None:
        self.key = OKPKey.generate_key("Ed25519", parameters={"kid": "ed"})
        self.algs = algs
        self.id_token = ""
        self.token_requests: list[dict[str, list[str]]] = []

    def sign(self, claims: dict[str, Any], alg: str = "Ed25519", key: Any = None) -> str:
        key = key or self.key
        return jwt.encode({"alg": alg, "kid": "ed"}, claims, key, algorithms=[alg])

    def claims(self, **over: Any) -> dict[str, Any]:
        now = int(time.time())
        base = {
            "iss": ISSUER,
            "sub": "li.ming",
            "aud": "govproj-portal",
            "iat": now,
            "exp": now + 300,
            "nonce": "n-1",
            "tenant": "445322",
            "roles": ["bureau_officer", "not_a_role"],
            "name": "李明",
        }
        base.update(over)
        return {k: v for k, v in base.items() if v is not None}

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/auth",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                    "end_session_endpoint": f"{ISSUER}/session/end",
                    "id_token_signing_alg_values_supported": self.algs,
                },
            )
        if request.url.path == "/jwks":
            return httpx.Response(200, json={"keys": [self.key.as_dict(private=False)]})
        if request.url.path == "/token":
            self.token_requests.append(parse_qs(request.content.decode()))
            return httpx.Response(
                200,
                json={
                    "access_token": "opaque-access-token-not-a-jwt",
                    "token_type": "Bearer",
                    "expires_in": 60,
                    "refresh_token": "opaque-refresh",
                    "id_token": self.id_token,
                },
            )
        return httpx.Response(404)


@pytest.fixture
def fake() -> FakeProvider:
    return FakeProvider(["Ed25519", "EdDSA", "RS256", "HS256"])


def _client(fake: FakeProvider, **settings: Any) -> OidcClient:
    return OidcClient(
        issuer=ISSUER, settings=_settings(**settings), transport=httpx.MockTransport(fake.handler)
    )


@pytest.mark.parametrize("alg", ["Ed25519", "EdDSA"])
async def test_an_ed25519_id_token_is_accepted_under_either_algorithm_name(
    fake: FakeProvider, alg: str
) -> None:
    claims = await _client(fake).validate_id_token(fake.sign(fake.claims(), alg), nonce="n-1")
    assert claims["sub"] == "li.ming" and claims["tenant"] == "445322"


@pytest.mark.parametrize(
    ("claims", "nonce"),
    [
        ({"nonce": "someone-else-s"}, "n-1"),  # a replayed ID token of another login
        ({"nonce": None}, "n-1"),  # no nonce although we sent one
        ({"aud": "another-client"}, "n-1"),  # issued to another client
        ({"iss": "https://evil.test"}, "n-1"),
        ({"exp": int(time.time()) - 600}, "n-1"),
        ({"iat": None}, "n-1"),
    ],
)
async def test_an_id_token_that_is_not_ours_or_not_for_this_login_is_refused(
    fake: FakeProvider, claims: dict[str, Any], nonce: str
) -> None:
    with pytest.raises(OidcError):
        await _client(fake).validate_id_token(fake.sign(fake.claims(**claims)), nonce=nonce)


async def test_a_symmetric_or_foreign_signature_is_refused_even_if_the_provider_offers_it(
    fake: FakeProvider,
) -> None:
    client = _client(fake)
    hmac_key = OctKey.generate_key(256, parameters={"kid": "ed"})
    with pytest.raises(OidcError):
        await client.validate_id_token(fake.sign(fake.claims(), "HS256", hmac_key), nonce="n-1")
    other = OKPKey.generate_key("Ed25519", parameters={"kid": "ed"})
    with pytest.raises(OidcError):
        await client.validate_id_token(fake.sign(fake.claims(), "Ed25519", other), nonce="n-1")


def test_login_sends_pkce_nonce_and_the_audience_and_accepts_an_opaque_access_token(
    fake: FakeProvider, tmp_path: Path
) -> None:
    app = create_app(
        _settings(resource="urn:govproj:api", audience="govproj"), CommonSettings(home=tmp_path)
    )
    app.state.oidc = OidcClient(
        issuer=ISSUER,
        settings=app.state.settings,
        transport=httpx.MockTransport(fake.handler),
    )
    probe = APIRouter()

    @probe.get("/whoami")
    async def whoami(user: CurrentUser) -> dict[str, Any]:
        return {"user": user.subject.user, "roles": sorted(user.roles), "token": user.token}

    app.include_router(probe)
    with TestClient(app, base_url=PORTAL) as c:
        start = c.get("/login", params={"next": "/whoami"}, follow_redirects=False)
        assert start.status_code == 303
        query = parse_qs(urlsplit(start.headers["location"]).query)
        assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
        assert query["resource"] == ["urn:govproj:api"] and query["audience"] == ["govproj"]
        assert query["scope"] == ["openid profile"] and query["client_id"] == ["govproj-portal"]
        nonce, state = query["nonce"][0], query["state"][0]

        fake.id_token = fake.sign(fake.claims(nonce="not-" + nonce))
        refused = c.get("/callback", params={"code": "c", "state": state})
        assert refused.status_code == 401 and "nonce" in refused.text

        start = c.get("/login", params={"next": "/whoami"}, follow_redirects=False)
        query = parse_qs(urlsplit(start.headers["location"]).query)
        fake.id_token = fake.sign(fake.claims(nonce=query["nonce"][0]))
        done = c.get(
            "/callback", params={"code": "c", "state": query["state"][0]}, follow_redirects=False
        )
        assert done.status_code == 303 and done.headers["location"] == "/whoami"
        assert fake.token_requests[-1]["code_verifier"][0]
        assert fake.token_requests[-1]["resource"] == ["urn:govproj:api"]
        me = c.get("/whoami").json()
        # The opaque access token is kept and forwarded as is; who it is comes from the ID token.
        assert me == {
            "user": "li.ming",
            "roles": ["bureau_officer"],
            "token": "opaque-access-token-not-a-jwt",
        }


async def test_concurrent_requests_share_one_refresh(fake: FakeProvider) -> None:
    client = _client(fake)
    answers = await asyncio.gather(*(client.refresh("rt-1") for _ in range(5)))
    assert len(fake.token_requests) == 1
    assert fake.token_requests[0]["grant_type"] == ["refresh_token"]
    assert all(a["access_token"] == answers[0]["access_token"] for a in answers)


def test_refresh_is_due_shortly_before_expiry_never_for_a_session_without_refresh_token() -> None:
    data = {"refresh_token": "r", "expires_at": 1000, "lifetime": 60}
    assert not refresh_due(data, now=960, margin=60)  # half of a 60 s token is left
    assert refresh_due(data, now=971, margin=60)
    assert refresh_due(data, now=2000, margin=60)
    assert not refresh_due({**data, "refresh_token": None}, now=2000, margin=60)


def test_a_large_session_is_split_over_cookies_and_read_back_whole() -> None:
    from starlette.responses import Response

    data = {
        "sid": "s",
        "access_token": "a" * 3000,
        "refresh_token": "r" * 2000,
        "id_token": "i" * 2500,
    }
    response = Response()
    session.write(response, SECRET, data, secure=False, max_age=60)
    cookies: dict[str, str] = {}
    for key, value in response.raw_headers:
        if key == b"set-cookie":
            name, rest = value.decode().split("=", 1)
            cookies[name] = rest.split(";", 1)[0].strip('"')
    assert len([v for v in cookies.values() if v]) >= 3
    assert all(len(v) <= 3800 for v in cookies.values())
    assert session.decode(SECRET, session.read(cookies)) == data
    assert session.binding(SECRET, cookies) == "s"


# --- the whole flow against the dev issuer, in process -----------------------------

DEV_ISSUER = "http://127.0.0.1:8109"
# The dev issuer hands codes only to clients on this machine.
LOCAL = "http://127.0.0.1:8100"


@pytest.fixture
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("GOVPROJ_DEV_ISSUER_ACCESS_TOKEN_SECONDS", "60")
    issuer_app = create_issuer_app(tmp_path / "issuer-home", DEV_ISSUER)
    issuer = TestClient(issuer_app, base_url=DEV_ISSUER)
    app = create_app(
        _settings(public_url=LOCAL), CommonSettings(home=tmp_path, oidc_issuer=DEV_ISSUER)
    )
    clock = {"skew": 0.0}
    oidc = OidcClient(
        issuer=DEV_ISSUER,
        settings=app.state.settings,
        transport=httpx.ASGITransport(app=issuer_app),
        clock=lambda: time.time() + clock["skew"],
    )
    app.state.oidc = oidc
    probe = APIRouter()

    @probe.get("/whoami")
    async def whoami(user: CurrentUser) -> dict[str, Any]:
        return {"user": user.subject.user, "tenant": user.tenant, "token": user.token}

    @probe.post("/things")
    async def things(user: CurrentUser) -> dict[str, str]:
        return {"by": user.subject.user}

    app.include_router(probe)
    with TestClient(app, base_url=LOCAL) as portal:
        yield {
            "portal": portal,
            "issuer": issuer,
            "clock": clock,
            "flow": issuer_app.state.login_flow,
        }


def _data(client: TestClient) -> dict[str, Any]:
    """The session as the console reads it (the jar keeps the cookies' quotes)."""
    cookies = {c.name: c.value.strip('"') for c in client.cookies.jar}
    return session.decode(SECRET, session.read(cookies))


def _log_in(dev: dict[str, Any], next_: str = "/whoami", user: str = "wang.fang") -> Any:
    portal, issuer = dev["portal"], dev["issuer"]
    start = portal.get("/login", params={"next": next_}, follow_redirects=False)
    assert start.status_code == 303, start.text[-600:]
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    picked = issuer.post(
        "/authorize",
        data={
            "client_id": query["client_id"],
            "redirect_uri": query["redirect_uri"],
            "code_challenge": query["code_challenge"],
            "state": query["state"],
            "nonce": query["nonce"],
            "tenant": "445322",
            "role": "bureau_officer",
            "user": user,
        },
        follow_redirects=False,
    )
    back = urlsplit(picked.headers["location"])
    return portal.get(f"{back.path}?{back.query}", follow_redirects=False)


def test_dev_issuer_login_gives_an_id_token_for_the_console_and_a_refresh_token(
    dev: dict[str, Any],
) -> None:
    done = _log_in(dev)
    assert done.status_code == 303 and done.headers["location"] == "/whoami"
    data = _data(dev["portal"])
    assert data["refresh_token"] and data["lifetime"] == 60 and data["id_token"]
    assert dev["portal"].get("/whoami").json()["user"] == "wang.fang"


def test_a_request_shortly_before_expiry_refreshes_the_session_and_keeps_the_csrf_token(
    dev: dict[str, Any],
) -> None:
    _log_in(dev)
    portal = dev["portal"]
    before = _data(portal)
    dev["clock"]["skew"] = 45  # 15 s of a 60 s token left
    time.sleep(1.1)  # a new token is minted a second later, so it differs
    me = portal.get("/whoami").json()
    after = _data(portal)
    assert me["token"] == after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]  # rotated
    assert after["sid"] == before["sid"]
    # A form rendered before the refresh still posts: the CSRF token follows the sid.
    posted = portal.post(
        "/things",
        data={"_csrf": csrf_token(SECRET, before["sid"])},
        headers={"Origin": LOCAL},
    )
    assert posted.status_code == 200 and posted.json() == {"by": "wang.fang"}


def test_a_refused_refresh_sends_the_person_to_log_in_and_keeps_the_posted_form(
    dev: dict[str, Any],
) -> None:
    _log_in(dev)
    portal = dev["portal"]
    sid = _data(portal)["sid"]
    dev["flow"].refresh_tokens.clear()  # the provider ended the login (e.g. an administrator)
    dev["clock"]["skew"] = 120
    page = portal.get("/whoami", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/whoami"

    posted = portal.post(
        "/things",
        data={"_csrf": csrf_token(SECRET, sid), "name": "县域政务云扩容"},
        headers={"Origin": LOCAL, "Referer": f"{LOCAL}/catalog?state=planned"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "/login?next=/catalog%3Fstate%3Dplanned"
    dev["clock"]["skew"] = 0
    done = _log_in(dev, next_="/catalog?state=planned")
    assert done.headers["location"] == "/resume"
    resumed = portal.get("/resume")
    assert resumed.status_code == 200
    assert 'value="县域政务云扩容"' in resumed.text and 'action="/things"' in resumed.text
    assert "继续提交" in resumed.text
    # One round trip only.
    assert portal.get("/resume", follow_redirects=False).headers["location"] == "/"


def test_a_form_kept_for_one_person_is_not_offered_to_another(dev: dict[str, Any]) -> None:
    _log_in(dev, user="wang.fang")
    portal = dev["portal"]
    sid = _data(portal)["sid"]
    dev["flow"].refresh_tokens.clear()
    dev["clock"]["skew"] = 120
    portal.post(
        "/things",
        data={"_csrf": csrf_token(SECRET, sid), "name": "秘密"},
        headers={"Origin": LOCAL, "Referer": f"{LOCAL}/catalog"},
        follow_redirects=False,
    )
    dev["clock"]["skew"] = 0
    done = _log_in(dev, next_="/catalog", user="zhao.lei")
    assert done.headers["location"] == "/catalog"


def test_logout_ends_the_provider_login_too(dev: dict[str, Any]) -> None:
    _log_in(dev)
    portal, issuer = dev["portal"], dev["issuer"]
    data = _data(portal)
    assert len(dev["flow"].refresh_tokens) == 1
    out = portal.post(
        "/logout",
        data={"_csrf": csrf_token(SECRET, data["sid"])},
        headers={"Origin": LOCAL},
        follow_redirects=False,
    )
    assert out.status_code == 303
    target = urlsplit(out.headers["location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{DEV_ISSUER}/logout"
    assert query["id_token_hint"] == data["id_token"]
    assert query["post_logout_redirect_uri"] == f"{LOCAL}/signed-out"
    assert _data(portal) == {}
    ended = issuer.get(f"{target.path}?{target.query}", follow_redirects=False)
    assert ended.status_code == 303 and ended.headers["location"] == f"{LOCAL}/signed-out"
    # The login is over at the issuer: its refresh token no longer works.
    assert dev["flow"].refresh_tokens == {}
    refused = issuer.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": data["refresh_token"],
            "client_id": "govproj-portal",
        },
    )
    assert refused.status_code == 400 and json.loads(refused.text)["error"] == "invalid_grant"
