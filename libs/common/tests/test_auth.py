"""Authentication as a caller meets it: a real development issuer over HTTP, a tiny service.

The dev issuer runs under uvicorn on a free 127.0.0.1 port, so the JWKS is
fetched over real HTTP (discovery included); the service under test is called
in-process through ``httpx.ASGITransport``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import stat
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Depends, FastAPI

from govproj.dev.issuer import (
    create_issuer_app,
    jwks,
    mint_token,
    rotate_signing_key,
    signing_key,
)
from libs.common.auth import (
    AuthSubject,
    CurrentSubject,
    JwksCache,
    TokenVerifier,
    install_auth,
    require_roles,
)
from libs.common.errors import install_problem_handlers
from libs.common.settings import CommonSettings
from libs.common.testing.issuer import running_issuer

AUDIENCE = "govproj"
TENANT = "445300"  # 云浮市 (a city with counties below it)
COUNTIES = {"445322", "445381"}


# --------------------------------------------------------------------------- infrastructure


class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class StaticTree:
    """A tenant tree replica: 445300 above two counties."""

    def descendants(self, code: str) -> set[str]:
        return set(COUNTIES) if code == TENANT else set()


@pytest.fixture(scope="session")
def issuer_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("govproj-home")


@pytest.fixture(scope="session")
def issuer_url(issuer_home: Path) -> Iterator[str]:
    with running_issuer(issuer_home) as url:
        yield url


class JwksCounter:
    """An httpx client for the JWKS cache that counts the fetches of the key set."""

    def __init__(self) -> None:
        self.fetches = 0
        self.client = httpx.AsyncClient(timeout=5, event_hooks={"request": [self._count]})

    async def _count(self, request: httpx.Request) -> None:
        if request.url.path.endswith("/jwks.json"):
            self.fetches += 1


@pytest.fixture
async def counter() -> AsyncIterator[JwksCounter]:
    counting = JwksCounter()
    yield counting
    await counting.client.aclose()


def make_verifier(
    issuer: str,
    counter: JwksCounter | None = None,
    clock: FakeClock | None = None,
    *,
    cache_seconds: float = 300,
) -> TokenVerifier:
    """A verifier with production defaults (discovery, 30 s refetch limit)."""
    cache = JwksCache(
        issuer=issuer,
        cache_seconds=cache_seconds,
        client=counter.client if counter else None,
        clock=clock or time.monotonic,
    )
    return TokenVerifier(jwks=cache, issuer=issuer, audience=AUDIENCE)


def make_service(verifier: TokenVerifier, tree: StaticTree | None = None) -> FastAPI:
    """The smallest service: who am I, and one route for the bureau only."""
    app = FastAPI()
    install_problem_handlers(app)
    install_auth(app, CommonSettings(oidc_issuer=verifier.issuer), verifier=verifier)
    if tree is not None:
        app.state.tenant_tree = tree

    @app.get("/me")
    async def me(subject: CurrentSubject) -> dict[str, Any]:
        return {
            "user": subject.user,
            "name": subject.name,
            "tenant": subject.tenant,
            "roles": sorted(subject.roles),
            "visible_tenants": sorted(subject.visible_tenants),
            "unit_id": subject.unit_id,
        }

    @app.post("/approvals")
    async def approve(
        subject: AuthSubject = Depends(require_roles("bureau_officer", "overseer")),
    ) -> dict[str, str]:
        return {"approved_by": subject.user}

    return app


async def call(
    app: FastAPI, token: str | None, *, method: str = "GET", path: str = "/me"
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        return await client.request(method, path, headers=headers)


def assert_problem(response: httpx.Response, status: int, reason: str | None = None) -> str:
    """The response is problem+json with a Chinese title; returns its detail."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://govproj.cn/problems/")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["title"]), body["title"]
    if status == 401:
        assert body["title"] == "未认证或凭证无效"
        assert response.headers["www-authenticate"].startswith("Bearer")
    if reason is not None:
        assert body["reason"] == reason, body
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    detail = body.get("detail", "")
    assert isinstance(detail, str)
    return detail


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(issuer: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": "u-1001",
        "name": "张三",
        "tenant": TENANT,
        "roles": ["unit_officer"],
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def forge(home: Path, claims: dict[str, Any], *, kid: str | None = None) -> str:
    """A token signed with the issuer's real key but with arbitrary claims."""
    key = signing_key(home)
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": kid or key.kid})


def token(home: Path, issuer: str, *, roles: list[str] | None = None, **kw: Any) -> str:
    return mint_token(
        home,
        issuer=issuer,
        audience=AUDIENCE,
        tenant=kw.pop("tenant", TENANT),
        roles=roles if roles is not None else ["unit_officer"],
        user=kw.pop("user", "u-1001"),
        **kw,
    )


# --------------------------------------------------------------------------- accepted tokens


async def test_valid_token_reaches_the_route_with_its_subject(
    issuer_home: Path, issuer_url: str
) -> None:
    app = make_service(make_verifier(issuer_url))
    bearer = token(issuer_home, issuer_url, name="张三", unit="unit-42")

    response = await call(app, bearer)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "user": "u-1001",
        "name": "张三",
        "tenant": TENANT,
        "roles": ["unit_officer"],
        "visible_tenants": [TENANT],
        "unit_id": "unit-42",
    }


async def test_settings_alone_configure_a_working_service(
    issuer_home: Path, issuer_url: str
) -> None:
    app = FastAPI()
    install_auth(app, CommonSettings(oidc_issuer=issuer_url, oidc_audience=AUDIENCE))

    @app.get("/me")
    async def me(subject: CurrentSubject) -> dict[str, str]:
        return {"user": subject.user}

    assert (await call(app, token(issuer_home, issuer_url))).json() == {"user": "u-1001"}
    assert_problem(await call(app, None), 401)


async def test_keycloak_realm_roles_count_and_foreign_roles_are_dropped(
    issuer_home: Path, issuer_url: str
) -> None:
    app = make_service(make_verifier(issuer_url))
    claims = claims_for(
        issuer_url,
        roles=["expert", "superuser"],
        realm_access={"roles": ["bureau_officer", "offline_access", "uma_authorization"]},
    )

    response = await call(app, forge(issuer_home, claims))

    assert response.json()["roles"] == ["bureau_officer", "expert"]


async def test_overseer_reads_descendant_tenants(issuer_home: Path, issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url), StaticTree())

    response = await call(app, token(issuer_home, issuer_url, roles=["overseer"]))

    assert response.json()["visible_tenants"] == sorted({TENANT} | COUNTIES)


async def test_bureau_officer_sees_only_its_own_tenant(issuer_home: Path, issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url), StaticTree())

    response = await call(app, token(issuer_home, issuer_url, roles=["bureau_officer"]))

    assert response.json()["visible_tenants"] == [TENANT]


async def test_overseer_without_tenant_tree_sees_own_tenant_only(
    issuer_home: Path, issuer_url: str
) -> None:
    app = make_service(make_verifier(issuer_url))

    response = await call(app, token(issuer_home, issuer_url, roles=["overseer"]))

    assert response.json()["visible_tenants"] == [TENANT]


# --------------------------------------------------------------------------- refused tokens


async def test_request_without_token_is_401_with_bearer_challenge(issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url))

    response = await call(app, None)

    assert "Authorization" in assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_basic_credentials_are_not_a_bearer_token(issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        response = await client.get("/me", auth=("admin", "admin"))

    assert_problem(response, 401)


async def test_garbage_token_is_401(issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url))

    assert_problem(await call(app, "not-a-jwt"), 401, "malformed")


async def test_expired_token_is_401_saying_expired(issuer_home: Path, issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url))
    an_hour_ago = int(time.time()) - 3600
    expired = forge(issuer_home, claims_for(issuer_url, iat=an_hour_ago - 600, exp=an_hour_ago))

    assert "过期" in assert_problem(await call(app, expired), 401, "expired")


async def test_the_configured_clock_skew_decides_a_token_just_past_its_exp(
    issuer_home: Path, issuer_url: str
) -> None:
    now = int(time.time())
    stale = forge(issuer_home, claims_for(issuer_url, iat=now - 600, exp=now - 15))

    def service(leeway: float) -> FastAPI:
        app = FastAPI()
        install_problem_handlers(app)
        settings = CommonSettings(
            oidc_issuer=issuer_url, oidc_audience=AUDIENCE, token_leeway_seconds=leeway
        )
        install_auth(app, settings)

        @app.get("/me")
        async def me(subject: CurrentSubject) -> dict[str, str]:
            return {"user": subject.user}

        return app

    # 15 s past exp: inside the default 30 s of skew, outside 5 s.
    assert (await call(service(30), stale)).status_code == 200
    assert "过期" in assert_problem(await call(service(5), stale), 401, "expired")


async def test_token_of_another_issuer_is_401(issuer_home: Path, issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url))
    foreign = forge(issuer_home, claims_for("https://sso.other-province.gov.cn/realms/x"))

    assert "iss" in assert_problem(await call(app, foreign), 401, "wrong_issuer")


async def test_token_for_another_audience_is_401(issuer_home: Path, issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url))
    other = forge(issuer_home, claims_for(issuer_url, aud="account"))

    assert "aud" in assert_problem(await call(app, other), 401, "wrong_audience")


@pytest.mark.parametrize("missing", ["exp", "aud", "iss", "sub"])
async def test_token_without_required_claim_is_401(
    issuer_home: Path, issuer_url: str, missing: str
) -> None:
    app = make_service(make_verifier(issuer_url))
    bearer = forge(issuer_home, claims_for(issuer_url, **{missing: None}))

    detail = assert_problem(await call(app, bearer), 401)
    assert missing in detail


async def test_token_without_tenant_is_401(issuer_home: Path, issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url))
    bearer = forge(issuer_home, claims_for(issuer_url, tenant=None))

    assert "tenant" in assert_problem(await call(app, bearer), 401, "missing_tenant")


@pytest.mark.parametrize("tenant", ["4453", "44532a", "4453220", 445322])
async def test_token_with_malformed_tenant_is_401(
    issuer_home: Path, issuer_url: str, tenant: object
) -> None:
    app = make_service(make_verifier(issuer_url))
    bearer = forge(issuer_home, claims_for(issuer_url, tenant=tenant))

    assert_problem(await call(app, bearer), 401, "bad_tenant")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_unsigned_token_alg_none_is_401(issuer_home: Path, issuer_url: str, alg: str) -> None:
    app = make_service(make_verifier(issuer_url))
    header = {"alg": alg, "typ": "JWT", "kid": signing_key(issuer_home).kid}
    payload = claims_for(issuer_url, roles=["platform_admin"])
    unsigned = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}."

    assert_problem(await call(app, unsigned), 401, "algorithm_not_allowed")


async def test_hs256_signed_with_the_public_key_is_401(issuer_home: Path, issuer_url: str) -> None:
    """The classic key-confusion attack: HMAC keyed with the published RSA public key."""
    app = make_service(make_verifier(issuer_url))
    key = signing_key(issuer_home)
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    payload = b64url(json.dumps(claims_for(issuer_url, roles=["platform_admin"])).encode())
    signing_input = f"{header}.{payload}".encode()
    for secret in (public_pem, public_pem.strip()):
        mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
        forged = f"{header}.{payload}.{b64url(mac)}"

        detail = assert_problem(await call(app, forged), 401, "algorithm_not_allowed")
        assert "HS256" in detail


async def test_ec_alg_on_an_rsa_key_is_401(issuer_home: Path, issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url))
    attacker = ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(
        claims_for(issuer_url),
        attacker,
        algorithm="ES256",
        headers={"kid": signing_key(issuer_home).kid},
    )

    assert_problem(await call(app, forged), 401, "algorithm_mismatch")


async def test_token_signed_by_a_stranger_under_the_issuers_kid_is_401(
    issuer_home: Path, issuer_url: str
) -> None:
    app = make_service(make_verifier(issuer_url))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        claims_for(issuer_url, roles=["platform_admin"]),
        stranger,
        algorithm="RS256",
        headers={"kid": signing_key(issuer_home).kid},
    )

    assert "签名" in assert_problem(await call(app, forged), 401, "bad_signature")


async def test_token_signed_by_an_unknown_key_is_401(issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        claims_for(issuer_url), stranger, algorithm="RS256", headers={"kid": "stranger-key"}
    )

    assert "stranger-key" in assert_problem(await call(app, forged), 401, "unknown_key")


async def test_tampered_payload_is_401(issuer_home: Path, issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url))
    header, _, signature = token(issuer_home, issuer_url).split(".")
    escalated = b64url(json.dumps(claims_for(issuer_url, roles=["platform_admin"])).encode())

    assert_problem(await call(app, f"{header}.{escalated}.{signature}"), 401, "bad_signature")


# --------------------------------------------------------------------------- roles


async def test_missing_role_is_403_naming_the_roles_needed(
    issuer_home: Path, issuer_url: str
) -> None:
    app = make_service(make_verifier(issuer_url))
    unit_officer = token(issuer_home, issuer_url, roles=["unit_officer"])

    response = await call(app, unit_officer, method="POST", path="/approvals")

    detail = assert_problem(response, 403)
    assert response.json()["title"] == "无权执行此操作"
    assert "bureau_officer" in detail
    assert "overseer" in detail
    assert response.json()["required_roles"] == ["bureau_officer", "overseer"]


async def test_any_one_of_the_roles_is_enough(issuer_home: Path, issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url))
    bureau = token(issuer_home, issuer_url, roles=["bureau_officer"], user="b-7")

    response = await call(app, bureau, method="POST", path="/approvals")

    assert response.status_code == 200
    assert response.json() == {"approved_by": "b-7"}


async def test_invalid_token_on_a_role_route_is_401_not_403(issuer_url: str) -> None:
    app = make_service(make_verifier(issuer_url))

    assert_problem(await call(app, "x.y.z", method="POST", path="/approvals"), 401)


def test_a_misspelt_role_fails_when_the_route_is_declared() -> None:
    with pytest.raises(ValueError, match="bureau_oficer"):
        require_roles("bureau_oficer")


def test_a_verifier_cannot_be_configured_with_a_symmetric_algorithm() -> None:
    cache = JwksCache(issuer="http://127.0.0.1:1")
    with pytest.raises(ValueError, match="HS256"):
        TokenVerifier(jwks=cache, issuer="http://127.0.0.1:1", audience="x", algorithms=["HS256"])


# --------------------------------------------------------------------------- the key set


async def test_key_rotation_is_picked_up_and_old_tokens_still_work(
    tmp_path: Path, counter: JwksCounter
) -> None:
    clock = FakeClock()
    with running_issuer(tmp_path) as url:
        app = make_service(make_verifier(url, counter, clock))
        before = token(tmp_path, url)
        assert (await call(app, before)).status_code == 200
        assert counter.fetches == 1

        rotate_signing_key(tmp_path)
        after = token(tmp_path, url)
        assert jwt.get_unverified_header(after)["kid"] != jwt.get_unverified_header(before)["kid"]
        clock.advance(31)  # past the refetch limit, well inside the cache lifetime

        assert (await call(app, after)).status_code == 200
        assert (await call(app, before)).status_code == 200
        assert counter.fetches == 2


async def test_unknown_kid_flood_refetches_at_most_once_per_interval(
    issuer_home: Path, issuer_url: str, counter: JwksCounter
) -> None:
    clock = FakeClock()
    app = make_service(make_verifier(issuer_url, counter, clock))
    good = token(issuer_home, issuer_url)
    assert (await call(app, good)).status_code == 200
    assert counter.fetches == 1
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def forged(i: int) -> str:
        return jwt.encode(
            claims_for(issuer_url), stranger, algorithm="RS256", headers={"kid": f"forged-{i}"}
        )

    async def flood(start: int) -> list[httpx.Response]:
        return await asyncio.gather(*(call(app, forged(start + i)) for i in range(50)))

    # Right after a fetch: no refetch at all.
    for response in await flood(0):
        assert_problem(response, 401, "unknown_key")
    assert counter.fetches == 1

    # Once the interval has passed: 50 concurrent forged kids cost one fetch.
    clock.advance(31)
    for response in await flood(100):
        assert_problem(response, 401, "unknown_key")
    assert counter.fetches == 2

    # And the real users were never locked out meanwhile.
    assert (await call(app, good)).status_code == 200
    assert counter.fetches == 2


async def test_keys_are_refetched_when_the_cache_expires(
    issuer_home: Path, issuer_url: str, counter: JwksCounter
) -> None:
    clock = FakeClock()
    app = make_service(make_verifier(issuer_url, counter, clock, cache_seconds=60))
    good = token(issuer_home, issuer_url)

    assert (await call(app, good)).status_code == 200
    clock.advance(59)
    assert (await call(app, good)).status_code == 200
    assert counter.fetches == 1
    clock.advance(2)
    assert (await call(app, good)).status_code == 200
    assert counter.fetches == 2


async def test_issuer_down_before_first_fetch_is_503_not_401(issuer_home: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = make_service(make_verifier(dead))

    response = await call(app, token(issuer_home, dead))

    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) >= 1


async def test_issuer_going_down_later_keeps_known_keys_working(
    tmp_path: Path, counter: JwksCounter
) -> None:
    clock = FakeClock()
    with running_issuer(tmp_path) as url:
        app = make_service(make_verifier(url, counter, clock, cache_seconds=60))
        good = token(tmp_path, url)
        assert (await call(app, good)).status_code == 200
    clock.advance(120)  # the cache is stale and the issuer is gone

    assert (await call(app, good)).status_code == 200


async def test_discovery_naming_another_issuer_is_refused(
    issuer_home: Path, issuer_url: str
) -> None:
    # Same server, spelt differently: OIDC discovery requires an exact issuer match.
    alias = issuer_url.replace("127.0.0.1", "localhost")
    app = make_service(make_verifier(alias))

    assert_problem(await call(app, token(issuer_home, alias)), 503)


# --------------------------------------------------------------------------- the dev issuer


def test_dev_issuer_private_key_is_owner_only(issuer_home: Path, issuer_url: str) -> None:
    key_file = issuer_home / "issuer" / "signing_key.pem"

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700


async def test_dev_issuer_publishes_public_keys_only(issuer_home: Path, issuer_url: str) -> None:
    async with httpx.AsyncClient(base_url=issuer_url) as client:
        discovery = (await client.get("/.well-known/openid-configuration")).json()
        published = (await client.get(discovery["jwks_uri"])).json()

    assert discovery["issuer"] == issuer_url
    assert [k["kid"] for k in published["keys"]] == [signing_key(issuer_home).kid]
    for key in published["keys"]:
        assert key["kty"] == "RSA"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_dev_issuer_key_survives_a_restart(tmp_path: Path) -> None:
    first = jwks(tmp_path)
    create_issuer_app(tmp_path, "http://127.0.0.1:8109")

    assert jwks(tmp_path) == first


def test_mint_token_refuses_what_services_would_refuse(tmp_path: Path) -> None:
    common: dict[str, Any] = {"issuer": "http://127.0.0.1:8109", "audience": AUDIENCE, "user": "u"}
    with pytest.raises(ValueError, match="division code"):
        mint_token(tmp_path, tenant="4453", roles=["unit_officer"], **common)
    with pytest.raises(ValueError, match="unknown roles"):
        mint_token(tmp_path, tenant=TENANT, roles=["admin"], **common)
