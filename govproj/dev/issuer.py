"""The development OIDC issuer: what Keycloak is in production, for the embedded default.

One RSA key pair is generated on first use and kept under ``<home>/issuer/``
(the private key mode 0600, the folder 0700), so tokens minted by
``govproj dev token`` in one process verify in every service started by
``govproj dev up`` in another. The issuer serves its discovery document and
its public keys (JWKS) over HTTP, and a login for the console: authorization
code with PKCE, where a page picks the tenant, role, unit and user instead of a
password (``govproj/dev/login.py``), since whoever can read the home folder can
mint tokens with :func:`mint_token` anyway; ID tokens for the client, refresh
tokens and an ``end_session_endpoint``, as Keycloak has.

A key rotation (:func:`rotate_signing_key`) keeps the previous public key in the
JWKS, so tokens already handed out stay valid until they expire, the way a
production issuer rotates.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import stat
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Response
from jwt.algorithms import RSAAlgorithm

from libs.common.auth import ROLES, TENANT_PATTERN

__all__ = [
    "ALGORITHM",
    "DEFAULT_PORT",
    "SigningKey",
    "create_issuer_app",
    "issuer_dir",
    "jwks",
    "mint_token",
    "rotate_signing_key",
    "serve_issuer",
    "signing_key",
]

_log = logging.getLogger(__name__)

DEFAULT_PORT = 8109
ALGORITHM = "RS256"  # what Keycloak signs with by default: the same path as production
_KEY_BITS = 2048
_CURRENT = "signing_key.pem"
_PREVIOUS = "previous_key.pem"


@dataclass(frozen=True)
class SigningKey:
    """A private key of the issuer, with its ``kid`` and its public JWK."""

    kid: str
    private_key: rsa.RSAPrivateKey
    public_jwk: dict[str, Any]


def issuer_dir(home: Path) -> Path:
    """Where the issuer keeps its keys: ``<home>/issuer``."""
    return Path(home) / "issuer"


def signing_key(home: Path) -> SigningKey:
    """The current signing key, generated and persisted on first use."""
    folder = _ensure_dir(home)
    path = folder / _CURRENT
    if not path.exists():
        # Two processes may start together (the stack runner and `dev token`):
        # the first one to link its key wins, the other loads that one.
        tmp = _write_new_key(folder)
        try:
            os.link(tmp, path)
            _log.info("development issuer: new signing key in %s", path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return _load(path)


def rotate_signing_key(home: Path) -> SigningKey:
    """Replace the signing key with a new one; the old public key stays published."""
    folder = _ensure_dir(home)
    old = signing_key(home)
    old_pem = old.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    previous_tmp = _write_private(folder, old_pem)
    previous_tmp.replace(folder / _PREVIOUS)
    _write_new_key(folder).replace(folder / _CURRENT)
    return _load(folder / _CURRENT)


def jwks(home: Path) -> dict[str, Any]:
    """The public keys (current first, then the previous one if any), as a JWKS document."""
    keys = [signing_key(home).public_jwk]
    previous = issuer_dir(home) / _PREVIOUS
    if previous.exists():
        prior = _load(previous).public_jwk
        if prior["kid"] != keys[0]["kid"]:
            keys.append(prior)
    return {"keys": keys}


def mint_token(
    home: Path,
    *,
    issuer: str,
    audience: str,
    tenant: str,
    roles: list[str],
    user: str,
    name: str | None = None,
    unit: str | None = None,
    ttl_seconds: int = 8 * 3600,
    email: str | None = None,
) -> str:
    """A signed access token for ``user`` of ``tenant`` with ``roles``.

    Raises ``ValueError`` for a tenant that is not a six-digit division code, a
    role that is not in vocabulary.md, or a non-positive ``ttl_seconds``: a
    token the services would refuse is better refused here, with the reason.
    """
    if not TENANT_PATTERN.fullmatch(tenant):
        raise ValueError(f"tenant {tenant!r} is not a six-digit division code (e.g. 445322)")
    unknown = sorted(set(roles) - ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}; known: {sorted(ROLES)}")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    if not user:
        raise ValueError("user must not be empty")
    key = signing_key(home)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": user,
        "preferred_username": user,
        "name": name or user,
        "tenant": tenant,
        "roles": sorted(set(roles)),
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": str(uuid.uuid4()),
    }
    if unit is not None:
        claims["unit"] = unit
    if email is not None:
        claims["email"] = email
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def create_issuer_app(home: Path, issuer_url: str, *, registry_url: str | None = None) -> FastAPI:
    """The issuer's HTTP face: discovery document, JWKS (public keys only) and the login.

    ``registry_url`` lets the login page offer the chosen tenant's units.
    """
    signing_key(home)  # generate now: a broken home folder fails at startup, not on a request
    base = issuer_url.rstrip("/")
    app = FastAPI(title="GovProj 开发用 OIDC 签发者", docs_url=None, redoc_url=None)

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            # Exactly as configured: verifiers compare it with their oidc_issuer.
            "issuer": issuer_url,
            "jwks_uri": f"{base}/jwks.json",
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "subject_types_supported": ["public"],
            "response_types_supported": ["code", "id_token"],
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "end_session_endpoint": f"{base}/logout",
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid", "profile"],
            "claims_supported": [
                "sub",
                "nonce",
                "sid",
                "name",
                "preferred_username",
                "tenant",
                "roles",
                "unit",
            ],
        }

    @app.get("/jwks.json")
    async def jwks_document(response: Response) -> dict[str, Any]:
        # Read from disk on every request, so a rotation by another process
        # (`govproj dev ...`) is served without a restart.
        response.headers["Cache-Control"] = "no-cache"
        return jwks(home)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from govproj.dev.login import install_login

    install_login(app, home, issuer_url, registry_url=registry_url)
    return app


def serve_issuer(
    home: Path,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    issuer_url: str | None = None,
    registry_url: str | None = None,
    log_level: str = "info",
) -> None:
    """Serve the issuer with uvicorn until interrupted (blocking)."""
    import uvicorn

    if issuer_url is None:
        public_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
        issuer_url = f"http://{public_host}:{port}"
    uvicorn.run(
        create_issuer_app(home, issuer_url, registry_url=registry_url),
        host=host,
        port=port,
        log_level=log_level,
    )


def _ensure_dir(home: Path) -> Path:
    folder = issuer_dir(home)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _write_new_key(folder: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return _write_private(folder, pem)


def _write_private(folder: Path, pem: bytes) -> Path:
    """Write ``pem`` to a fresh temporary file created 0600 (never readable by others)."""
    tmp = folder / f".key-{os.getpid()}-{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def _load(path: Path) -> SigningKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        _log.warning("%s was readable by others (mode %o); set to 0600", path, mode)
        path.chmod(0o600)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} is not an RSA private key")
    public = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    # RFC 7517 §4.3: "use" and "key_ops" should not both appear; "use" is what
    # every verifier (Keycloak's clients included) reads.
    public.pop("key_ops", None)
    kid = _thumbprint(public)
    return SigningKey(
        kid=kid,
        private_key=key,
        public_jwk={**public, "kid": kid, "use": "sig", "alg": ALGORITHM},
    )


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a kid that is the same wherever the key is loaded."""
    members = {name: jwk[name] for name in ("e", "kty", "n")}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode())
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
