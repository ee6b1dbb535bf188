"""The dev issuer's login, as the console meets it: authorization code + PKCE (S256)."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient

from govproj.dev.issuer import create_issuer_app, jwks
from govproj.dev.login import pkce_challenge

ISSUER = "http://127.0.0.1:8109"
PORTAL = "http://127.0.0.1:8100/callback"


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_issuer_app(tmp_path, ISSUER))


def _authorize(client: TestClient, verifier: str, **form: str) -> str:
    data = {
        "client_id": "govproj-portal",
        "redirect_uri": PORTAL,
        "code_challenge": pkce_challenge(verifier),
        "state": "s1",
        "tenant": "445322",
        "role": "unit_officer",
        "unit": "0b8a2f0e-0000-4000-8000-000000000001",
        "user": "张三",
        **form,
    }
    r = client.post("/authorize", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    target = urlsplit(r.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == PORTAL
    query = parse_qs(target.query)
    assert query["state"] == ["s1"]
    return str(query["code"][0])


def _login_page(client: TestClient, redirect_uri: str = PORTAL) -> httpx.Response:
    """The issuer's login page as the portal's code flow (PKCE, S256) opens it."""
    verifier = secrets.token_urlsafe(48)
    return client.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": "govproj-portal",
            "redirect_uri": redirect_uri,
            "state": "s",
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        },
    )


def _redeem(client: TestClient, code: str, verifier: str) -> tuple[int, dict[str, str]]:
    r = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": PORTAL,
            "client_id": "govproj-portal",
            "code_verifier": verifier,
        },
    )
    return r.status_code, r.json()


def test_discovery_names_the_code_flow_with_pkce(client: TestClient) -> None:
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert doc["token_endpoint"] == f"{ISSUER}/token"
    assert doc["code_challenge_methods_supported"] == ["S256"]


def test_login_page_offers_tenants_and_roles_in_chinese(client: TestClient) -> None:
    r = _login_page(client)
    assert r.status_code == 200
    assert "445322 郁南县" in r.text and "建设单位" in r.text


def test_code_with_the_right_verifier_gives_a_token_carrying_the_chosen_tenant_role_and_unit(
    client: TestClient, tmp_path: Path
) -> None:
    verifier = secrets.token_urlsafe(48)
    status, body = _redeem(client, _authorize(client, verifier), verifier)
    assert status == 200 and body["token_type"] == "Bearer"
    key = jwt.PyJWK(jwks(tmp_path)["keys"][0])
    claims = jwt.decode(body["access_token"], key=key, algorithms=["RS256"], audience="govproj")
    assert claims["tenant"] == "445322" and claims["roles"] == ["unit_officer"]
    assert claims["unit"] == "0b8a2f0e-0000-4000-8000-000000000001" and claims["sub"] == "张三"


def test_a_wrong_verifier_or_a_second_redemption_is_refused(client: TestClient) -> None:
    verifier = secrets.token_urlsafe(48)
    code = _authorize(client, verifier)
    status, body = _redeem(client, code, secrets.token_urlsafe(48))
    assert (
        status == 400 and body["error"] == "invalid_grant" and "PKCE" in body["error_description"]
    )
    # The failed attempt used the code up: a code is good for one try only.
    status, body = _redeem(client, code, verifier)
    assert status == 400 and body["error"] == "invalid_grant"


def test_codes_are_only_handed_to_clients_on_this_machine(client: TestClient) -> None:
    r = _login_page(client, "https://evil.example/cb")
    assert r.status_code == 400 and "回调地址不被接受" in r.text
    verifier = secrets.token_urlsafe(48)
    r = client.post(
        "/authorize",
        data={
            "client_id": "govproj-portal",
            "redirect_uri": "https://evil.example/cb",
            "code_challenge": pkce_challenge(verifier),
            "tenant": "445322",
            "role": "unit_officer",
        },
        follow_redirects=False,
    )
    assert r.status_code == 400


def test_a_request_without_pkce_is_refused(client: TestClient) -> None:
    r = client.get(
        "/authorize",
        params={"response_type": "code", "client_id": "govproj-portal", "redirect_uri": PORTAL},
    )
    assert r.status_code == 400 and "PKCE" in r.text


def test_the_id_token_is_for_the_client_and_carries_the_nonce_it_sent(
    client: TestClient, tmp_path: Path
) -> None:
    verifier = secrets.token_urlsafe(48)
    status, body = _redeem(client, _authorize(client, verifier, nonce="n-123"), verifier)
    assert status == 200 and body["refresh_token"]
    key = jwt.PyJWK(jwks(tmp_path)["keys"][0])
    claims = jwt.decode(body["id_token"], key=key, algorithms=["RS256"], audience="govproj-portal")
    assert claims["nonce"] == "n-123" and claims["iss"] == ISSUER and claims["sid"]
    assert claims["tenant"] == "445322" and claims["roles"] == ["unit_officer"]
    # Not an access token for the services: its audience is the client.
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(body["id_token"], key=key, algorithms=["RS256"], audience="govproj")


def _refresh(client: TestClient, token: str) -> tuple[int, dict[str, str]]:
    r = client.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": token, "client_id": "govproj-portal"},
    )
    return r.status_code, r.json()


def test_a_refresh_token_gives_new_tokens_once_and_is_rotated(
    client: TestClient, tmp_path: Path
) -> None:
    verifier = secrets.token_urlsafe(48)
    _, first = _redeem(client, _authorize(client, verifier, nonce="n-1"), verifier)
    status, second = _refresh(client, first["refresh_token"])
    assert status == 200 and second["refresh_token"] != first["refresh_token"]
    key = jwt.PyJWK(jwks(tmp_path)["keys"][0])
    claims = jwt.decode(
        second["id_token"], key=key, algorithms=["RS256"], audience="govproj-portal"
    )
    assert "nonce" not in claims and claims["sub"] == "张三"  # OIDC Core §12.2
    status, again = _refresh(client, first["refresh_token"])
    assert status == 400 and again["error"] == "invalid_grant"


def test_end_session_revokes_the_login_and_returns_to_the_client(client: TestClient) -> None:
    verifier = secrets.token_urlsafe(48)
    _, body = _redeem(client, _authorize(client, verifier, nonce="n-1"), verifier)
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["end_session_endpoint"] == f"{ISSUER}/logout"
    assert "refresh_token" in doc["grant_types_supported"]
    r = client.get(
        "/logout",
        params={
            "id_token_hint": body["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:8100/signed-out",
            "state": "st",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "http://127.0.0.1:8100/signed-out?state=st"
    status, refused = _refresh(client, body["refresh_token"])
    assert status == 400 and refused["error"] == "invalid_grant"
    # Never back to another site, and never for a hint it did not sign.
    away = client.get(
        "/logout",
        params={"post_logout_redirect_uri": "https://evil.example/"},
        follow_redirects=False,
    )
    assert away.status_code == 200 and "已退出" in away.text
    forged = client.get("/logout", params={"id_token_hint": "x.y.z"}, follow_redirects=False)
    assert forged.status_code == 400
