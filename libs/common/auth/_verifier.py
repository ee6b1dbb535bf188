"""Bearer-token verification: signature from the issuer's JWKS, then the claims."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import httpx
import jwt

from libs.common.settings import CommonSettings

from ._jwks import Jwk, JwksCache, JwksUnavailableError, UnknownKeyError
from ._problems import invalid_token, issuer_unavailable
from ._subject import TENANT_PATTERN, AuthSubject, TenantTree, roles_from_claims
from ._token_cache import TokenCache, VerifiedToken

__all__ = ["ALLOWED_ALGORITHMS", "TokenVerifier"]

# Asymmetric algorithms only (architecture.md "Identity"), each with the key
# type (and curves) that may verify it. A token's alg is checked against this
# table AND against the key, so neither "none", nor HS256 keyed with the public
# key, nor an RSA key presented as EC can get through.
_KEY_TYPES: Mapping[str, tuple[str, frozenset[str] | None]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "ES256": ("EC", frozenset({"P-256"})),
    "ES384": ("EC", frozenset({"P-384"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
}
ALLOWED_ALGORITHMS: frozenset[str] = frozenset(_KEY_TYPES)

# Real tokens are a few kilobytes; refuse to parse anything far bigger.
_MAX_TOKEN_LENGTH = 16 * 1024
_REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]


class TokenVerifier:
    """Verifies OIDC bearer tokens of one issuer for one audience.

    Parameters
    ----------
    jwks
        The issuer's cached keys.
    issuer
        The exact ``iss`` a token must carry.
    audience
        The ``aud`` a token must carry (alone or in a list).
    algorithms
        The allowed signature algorithms; a subset of :data:`ALLOWED_ALGORITHMS`.
    leeway_seconds
        Clock skew tolerated on ``exp``, ``nbf`` and ``iat``.
    cache_size
        How many verified tokens to remember (each until its ``exp`` at the
        latest, and only while the key that signed it is still published); 0
        verifies every token in full every time.
    """

    def __init__(
        self,
        *,
        jwks: JwksCache,
        issuer: str,
        audience: str,
        algorithms: Iterable[str] = ALLOWED_ALGORITHMS,
        leeway_seconds: float = 30,
        cache_size: int = 4096,
    ) -> None:
        allowed = frozenset(algorithms)
        if not allowed:
            raise ValueError("at least one algorithm must be allowed")
        if not allowed <= ALLOWED_ALGORITHMS:
            raise ValueError(f"not asymmetric algorithms: {sorted(allowed - ALLOWED_ALGORITHMS)}")
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.algorithms = allowed
        self.leeway_seconds = leeway_seconds
        self.cache = TokenCache(cache_size)

    @classmethod
    def from_settings(
        cls, settings: CommonSettings, *, client: httpx.AsyncClient | None = None
    ) -> TokenVerifier:
        """A verifier for ``settings.oidc_issuer`` / ``oidc_audience`` with its JWKS cache."""
        jwks = JwksCache(
            issuer=settings.oidc_issuer,
            jwks_url=settings.oidc_jwks_url,
            cache_seconds=settings.jwks_cache_seconds,
            client=client,
        )
        return cls(
            jwks=jwks,
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            leeway_seconds=settings.token_leeway_seconds,
        )

    async def verify(self, token: str, *, tenant_tree: TenantTree | None = None) -> AuthSubject:
        """The subject of a valid ``token``.

        Raises
        ------
        Problem
            401 (``invalid_token``, with the reason) for any token that fails;
            503 when the issuer's keys cannot be fetched at all.
        """
        claims = await self.verify_claims(token)
        return _subject_from_claims(claims, audience=self.audience, tenant_tree=tenant_tree)

    async def verify_claims(self, token: str) -> dict[str, Any]:
        """The claims of ``token`` after checking signature, ``iss``, ``aud`` and ``exp``.

        A token verified before is answered from :attr:`cache` until its ``exp``
        while the issuer still publishes the same key under its ``kid``; past
        ``exp`` (or with the key gone or changed) it is verified in full again,
        so it is refused exactly as it would have been without the cache.
        """
        entry = self.cache.get(token)
        if entry is not None:
            if await self._still_published(entry):
                return dict(entry.claims)
            self.cache.forget(token)
        return await self._verify_in_full(token)

    async def _still_published(self, entry: VerifiedToken) -> bool:
        try:
            return await self.jwks.get_key(entry.kid) == entry.key
        except (UnknownKeyError, JwksUnavailableError):
            return False  # the full verification answers with the reason

    async def _verify_in_full(self, token: str) -> dict[str, Any]:
        if len(token) > _MAX_TOKEN_LENGTH:
            raise invalid_token("malformed", "访问令牌过长")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise invalid_token("malformed", "访问令牌格式错误（不是 JWT）") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise invalid_token(
                "algorithm_not_allowed",
                f"不接受的签名算法 {alg!r}：只接受非对称算法 {', '.join(sorted(self.algorithms))}",
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise invalid_token("missing_kid", "访问令牌头部缺少 kid，无法确定签名密钥")
        jwk, key = await self._key(kid, alg)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": _REQUIRED_CLAIMS, "verify_signature": True},
            )
        except jwt.ExpiredSignatureError:
            raise invalid_token("expired", "访问令牌已过期（exp），请重新登录") from None
        except jwt.InvalidIssuerError:
            raise invalid_token(
                "wrong_issuer", f"签发者（iss）不符：只接受 {self.issuer} 签发的令牌"
            ) from None
        except jwt.InvalidAudienceError:
            raise invalid_token(
                "wrong_audience", f"受众（aud）不符：令牌不是签发给 {self.audience} 的"
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise invalid_token("missing_claim", f"访问令牌缺少必需的声明 {exc.claim}") from None
        except jwt.ImmatureSignatureError:
            raise invalid_token("not_yet_valid", "访问令牌尚未生效（nbf/iat 在未来）") from None
        except jwt.InvalidSignatureError:
            raise invalid_token("bad_signature", "签名无效：令牌被篡改或不是该签发者签发") from None
        except jwt.InvalidTokenError as exc:
            raise invalid_token("malformed", f"访问令牌无效：{exc}") from None
        # Only now, with every check passed, may the token be remembered.
        self.cache.put(
            token,
            VerifiedToken(
                claims=MappingProxyType(dict(claims)),
                kid=kid,
                key=jwk,
                expires_at=float(claims["exp"]),
            ),
        )
        return claims

    async def _key(self, kid: str, alg: str) -> tuple[Jwk, jwt.PyJWK]:
        try:
            jwk = await self.jwks.get_key(kid)
        except UnknownKeyError:
            raise invalid_token("unknown_key", f"签名密钥 {kid!r} 不是签发者公布的密钥") from None
        except JwksUnavailableError:
            raise issuer_unavailable(self.jwks.retry_after()) from None
        if not _key_fits(jwk, alg):
            raise invalid_token("algorithm_mismatch", f"签名算法 {alg} 与密钥 {kid!r} 的类型不符")
        try:
            # Bound to alg: PyJWT then verifies with this algorithm and no other.
            return jwk, jwt.PyJWK(dict(jwk), algorithm=alg)
        except jwt.PyJWTError:
            raise invalid_token("algorithm_mismatch", f"密钥 {kid!r} 无法用于 {alg}") from None


def _key_fits(jwk: Jwk, alg: str) -> bool:
    """Whether ``jwk`` may verify a signature made with ``alg``."""
    kty, curves = _KEY_TYPES[alg]
    if jwk.get("kty") != kty:
        return False
    if curves is not None and jwk.get("crv") not in curves:
        return False
    # A key that names its algorithm verifies that one only (RFC 7517 §4.4).
    declared = jwk.get("alg")
    return declared is None or declared == alg


def _subject_from_claims(
    claims: Mapping[str, Any], *, audience: str, tenant_tree: TenantTree | None
) -> AuthSubject:
    tenant = claims.get("tenant")
    if tenant is None:
        raise invalid_token("missing_tenant", "访问令牌缺少 tenant 声明（所属行政区划代码）")
    if not isinstance(tenant, str) or not TENANT_PATTERN.fullmatch(tenant):
        raise invalid_token("bad_tenant", f"tenant 声明 {tenant!r} 不是六位行政区划代码")
    user = claims["sub"]
    if not isinstance(user, str) or not user:
        raise invalid_token("missing_claim", "访问令牌的 sub 声明为空")
    unit = claims.get("unit")
    if unit is not None and (not isinstance(unit, str) or not unit):
        # Not ignored: a service may read "no unit" as "not limited to a unit".
        raise invalid_token("bad_unit", "unit 声明必须是非空字符串")
    name = claims.get("name") or claims.get("preferred_username") or user
    return AuthSubject.build(
        user=user,
        name=name if isinstance(name, str) else user,
        tenant=tenant,
        roles=roles_from_claims(claims, audience=audience),
        unit_id=unit,
        tenant_tree=tenant_tree,
        email=email if isinstance(email := claims.get("email"), str) and email else None,
    )
