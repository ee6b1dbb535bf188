"""RequestGate: no body is read before the caller is authenticated, and none beyond the limit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from govproj.dev.issuer import mint_token
from libs.common.auth import CurrentSubject, JwksCache, RequestGate, TokenVerifier, install_auth
from libs.common.errors import install_problem_handlers
from libs.common.settings import CommonSettings
from libs.common.testing.issuer import running_issuer

AUDIENCE = "govproj"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    home = tmp_path_factory.mktemp("gate-issuer")
    with running_issuer(home) as url:
        yield home, url


class BodyCounter:
    def __init__(self, app: Any, read: list[int]) -> None:
        self.app, self.read = app, read

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counted() -> Any:
            message = await receive()
            if message["type"] == "http.request" and message.get("body"):
                self.read.append(len(message["body"]))
            return message

        await self.app(scope, counted, send)


class CountingVerifier(TokenVerifier):
    verified = 0

    async def verify_claims(self, token: str) -> dict[str, object]:
        type(self).verified += 1
        return await super().verify_claims(token)


@pytest.fixture
async def client(issuer: tuple[Path, str]) -> AsyncIterator[tuple[httpx.AsyncClient, list[int]]]:
    _, url = issuer
    read: list[int] = []
    app = FastAPI()
    install_problem_handlers(app)
    verifier = CountingVerifier(jwks=JwksCache(issuer=url), issuer=url, audience=AUDIENCE)
    install_auth(app, CommonSettings(oidc_issuer=url), verifier=verifier)
    # Inside the gate: counts every body byte the application itself receives.
    app.add_middleware(BodyCounter, read=read)
    app.add_middleware(RequestGate, max_json_body=1024, max_upload_body=4096)

    @app.post("/v1/things")
    async def create(payload: dict[str, Any], subject: CurrentSubject) -> dict[str, object]:
        # A JSON body parameter: FastAPI reads and parses it before dependencies.
        return {"user": subject.user, "keys": len(payload)}

    @app.post("/v1/uploads")
    async def upload(request: Request, subject: CurrentSubject) -> dict[str, object]:
        body = await request.body()
        return {"user": subject.user, "bytes": len(body)}

    CountingVerifier.verified = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c, read


def _token(issuer: tuple[Path, str]) -> str:
    home, url = issuer
    return mint_token(
        home, issuer=url, audience=AUDIENCE, tenant="445322", roles=["unit_officer"], user="li"
    )


async def test_no_token_is_refused_before_the_body_is_read(
    client: tuple[httpx.AsyncClient, list[int]],
) -> None:
    c, read = client
    answer = await c.post(
        "/v1/things",
        content=b'{"a": "' + b"x" * 100_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["title"] == "未认证或凭证无效"
    assert read == []


async def test_a_declared_oversized_body_is_refused_with_413_and_never_read(
    client: tuple[httpx.AsyncClient, list[int]], issuer: tuple[Path, str]
) -> None:
    c, read = client
    answer = await c.post(
        "/v1/things",
        content=b"{" + b" " * 2000 + b"}",
        headers={"Authorization": f"Bearer {_token(issuer)}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["title"] == "请求内容过大"
    assert read == []


async def test_a_chunked_body_is_cut_at_the_limit(
    client: tuple[httpx.AsyncClient, list[int]], issuer: tuple[Path, str]
) -> None:
    c, read = client

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"y" * 512

    answer = await c.post(
        "/v1/things",
        content=chunks(),
        headers={"Authorization": f"Bearer {_token(issuer)}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert sum(read) <= 1024


async def test_an_upload_gets_the_upload_limit_and_the_token_is_verified_once(
    client: tuple[httpx.AsyncClient, list[int]], issuer: tuple[Path, str]
) -> None:
    c, read = client
    answer = await c.post(
        "/v1/uploads",
        content=b"z" * 3000,
        headers={
            "Authorization": f"Bearer {_token(issuer)}",
            "Content-Type": "application/octet-stream",
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"user": "li", "bytes": 3000}
    assert sum(read) == 3000
    assert CountingVerifier.verified == 1
