"""The verified-token cache: a client's repeated token skips the crypto, never the rules.

A real development issuer over HTTP signs the tokens and publishes the keys; the
service under test is called in-process, as in test_auth.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from govproj.dev.issuer import mint_token, rotate_signing_key
from libs.common.auth import AuthSubject, CurrentSubject, JwksCache, TokenVerifier, install_auth
from libs.common.errors import Problem, install_problem_handlers
from libs.common.settings import CommonSettings
from libs.common.testing.issuer import running_issuer

AUDIENCE = "govproj"
TENANT = "445322"


class CountingVerifier(TokenVerifier):
    """Counts the full verifications (signature and claims), the work the cache saves."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.full = 0

    async def _verify_in_full(self, token: str) -> dict[str, Any]:
        self.full += 1
        return await super()._verify_in_full(token)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    with running_issuer(tmp_path) as url:
        yield tmp_path, url


def verifier_for(
    url: str, *, cache_size: int = 10_000, clock: FakeClock | None = None
) -> CountingVerifier:
    jwks = JwksCache(issuer=url, clock=clock or time.monotonic, min_refetch_seconds=0)
    # No leeway: "expired" here means past exp, to the second.
    return CountingVerifier(
        jwks=jwks, issuer=url, audience=AUDIENCE, leeway_seconds=0, cache_size=cache_size
    )


def token(home: Path, url: str, *, user: str = "officer", ttl: int = 3600) -> str:
    return mint_token(
        home,
        issuer=url,
        audience=AUDIENCE,
        tenant=TENANT,
        roles=["unit_officer"],
        user=user,
        unit="unit-1",
        ttl_seconds=ttl,
    )


async def get_me(verifier: TokenVerifier, raw: str) -> httpx.Response:
    app = FastAPI()
    install_problem_handlers(app)
    install_auth(app, CommonSettings(oidc_issuer=verifier.issuer), verifier=verifier)

    @app.get("/me")
    async def me(subject: CurrentSubject) -> dict[str, str]:
        return {"user": subject.user, "tenant": subject.tenant}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        return await client.get("/me", headers={"Authorization": f"Bearer {raw}"})


async def test_a_repeated_token_is_verified_once_and_answers_the_same(
    issuer: tuple[Path, str],
) -> None:
    home, url = issuer
    verifier = verifier_for(url)
    raw = token(home, url)

    answers = [await get_me(verifier, raw) for _ in range(3)]

    assert [r.status_code for r in answers] == [200, 200, 200]
    assert {r.json()["user"] for r in answers} == {"officer"}
    assert verifier.full == 1


async def test_a_cached_token_is_refused_once_it_expires(issuer: tuple[Path, str]) -> None:
    home, url = issuer
    verifier = verifier_for(url)
    # Fetch the issuer's keys first and leave the token seconds to live: on a
    # loaded machine a first verification can outlast a one-second token.
    assert (await get_me(verifier, token(home, url))).status_code == 200
    raw = token(home, url, ttl=3)
    assert (await get_me(verifier, raw)).status_code == 200
    assert len(verifier.cache) == 2

    exp = jwt.decode(raw, options={"verify_signature": False})["exp"]
    await asyncio.sleep(max(0.0, exp - time.time()) + 0.05)
    refused = await get_me(verifier, raw)

    assert refused.status_code == 401
    assert refused.json()["reason"] == "expired"
    assert len(verifier.cache) == 1  # the expired one is dropped, the warm-up token stays


async def test_a_token_with_a_bad_signature_is_never_cached(issuer: tuple[Path, str]) -> None:
    home, url = issuer
    verifier = verifier_for(url)
    head, body, signature = token(home, url).split(".")
    forged = f"{head}.{body}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"

    answers = [await get_me(verifier, forged) for _ in range(2)]

    assert [r.status_code for r in answers] == [401, 401]
    assert {r.json()["reason"] for r in answers} == {"bad_signature"}
    assert len(verifier.cache) == 0
    assert verifier.full == 2


async def test_a_cached_token_is_refused_once_its_key_is_withdrawn(
    issuer: tuple[Path, str],
) -> None:
    home, url = issuer
    clock = FakeClock()
    verifier = verifier_for(url, clock=clock)
    raw = token(home, url)
    assert (await get_me(verifier, raw)).status_code == 200

    rotate_signing_key(home)
    rotate_signing_key(home)  # the first key is no longer published
    clock.now += verifier.jwks.cache_seconds + 1  # the service fetches the keys again
    refused = await get_me(verifier, raw)

    assert refused.status_code == 401
    assert refused.json()["reason"] == "unknown_key"


async def test_the_cache_keeps_the_most_recently_used_tokens(issuer: tuple[Path, str]) -> None:
    home, url = issuer
    verifier = verifier_for(url, cache_size=2)
    first, second, third = (token(home, url, user=f"u{i}") for i in range(3))
    for raw in (first, second, first, third):  # `second` is now the least recently used
        await verifier.verify(raw)
    assert (len(verifier.cache), verifier.full) == (2, 3)

    await verifier.verify(first)
    await verifier.verify(third)
    assert verifier.full == 3
    await verifier.verify(second)
    assert verifier.full == 4


async def test_a_cache_of_size_zero_verifies_every_time(issuer: tuple[Path, str]) -> None:
    home, url = issuer
    verifier = verifier_for(url, cache_size=0)
    raw = token(home, url)
    for _ in range(2):
        subject = await verifier.verify(raw)
        assert isinstance(subject, AuthSubject)
    assert (len(verifier.cache), verifier.full) == (0, 2)


async def test_claims_from_the_cache_cannot_be_changed_by_a_caller(
    issuer: tuple[Path, str],
) -> None:
    home, url = issuer
    verifier = verifier_for(url)
    raw = token(home, url)
    claims = await verifier.verify_claims(raw)
    claims["tenant"] = "440000"

    again = await verifier.verify_claims(raw)

    assert again["tenant"] == TENANT
    with pytest.raises(Problem):
        await verifier.verify_claims(raw + "x")
