"""The problem+json answers of authentication (401), authorization (403), issuer outage (503)."""

from __future__ import annotations

from collections.abc import Iterable

from libs.common.errors import Problem

from ._roles import ROLE_LABELS

__all__ = ["forbidden", "invalid_token", "issuer_unavailable", "missing_credentials"]

UNAUTHENTICATED_TITLE = "未认证或凭证无效"
FORBIDDEN_TITLE = "无权执行此操作"

# RFC 6750 §3: a request without credentials gets a bare challenge (no error code);
# a request whose token fails gets error="invalid_token". error_description is left
# out on purpose: RFC 6750 restricts it to ASCII and our reasons are in the body.
_CHALLENGE = "Bearer"
_INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'  # noqa: S105 - a challenge, not a secret
_INSUFFICIENT_CHALLENGE = 'Bearer error="insufficient_scope"'


def missing_credentials() -> Problem:
    """401 for a request that carries no ``Authorization: Bearer`` token."""
    return Problem(
        401,
        "unauthenticated",
        UNAUTHENTICATED_TITLE,
        "缺少 Authorization: Bearer 访问令牌",
        extra={"reason": "missing_token"},
        headers={"WWW-Authenticate": _CHALLENGE},
    )


def invalid_token(reason: str, detail: str) -> Problem:
    """401 for a token that fails verification.

    ``reason`` is a stable machine-readable code (``expired``, ``wrong_issuer``,
    ``wrong_audience``, ``bad_signature``, ``missing_tenant``, ...) so a client can
    tell "refresh the token" from "this token will never work"; ``detail`` says the
    same for a person, in Chinese.
    """
    return Problem(
        401,
        "invalid_token",
        UNAUTHENTICATED_TITLE,
        detail,
        extra={"reason": reason},
        headers={"WWW-Authenticate": _INVALID_TOKEN_CHALLENGE},
    )


def forbidden(required: Iterable[str]) -> Problem:
    """403 for an authenticated subject that holds none of the ``required`` roles."""
    codes = sorted(required)
    named = "、".join(f"{code}（{ROLE_LABELS.get(code, code)}）" for code in codes)
    return Problem(
        403,
        "forbidden",
        FORBIDDEN_TITLE,
        f"需要以下角色之一：{named}",
        extra={"required_roles": codes},
        headers={"WWW-Authenticate": _INSUFFICIENT_CHALLENGE},
    )


def issuer_unavailable(retry_after_seconds: int) -> Problem:
    """503 when the issuer's keys cannot be fetched and none are cached.

    Not a 401: the client's token may be perfectly good, and telling it to log in
    again would not help; it should retry.
    """
    return Problem(
        503,
        "issuer_unavailable",
        "认证服务暂不可用",
        "无法获取签发者的公钥集（JWKS），请稍后重试",
        headers={"Retry-After": str(max(1, retry_after_seconds))},
    )
