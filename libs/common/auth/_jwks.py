"""The issuer's signing keys (JWKS), fetched over HTTP and cached.

Keys are cached for ``cache_seconds``. A token whose ``kid`` is not in the cache
triggers one refetch, because the issuer may have rotated its keys; refetches
(and retries after a failure) are rate-limited to one per ``min_refetch_seconds``
so a flood of tokens with forged ``kid`` values cannot turn every request into
a request to the issuer. When the issuer is unreachable the last good key set
keeps serving: an outage of the issuer must not log everybody out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import httpx

__all__ = ["JwksCache", "JwksError", "JwksUnavailableError", "UnknownKeyError"]

_log = logging.getLogger(__name__)

# Key types that can verify an asymmetric signature; "oct" (shared secrets) never can.
_ASYMMETRIC_KTY = frozenset({"RSA", "EC", "OKP"})
# A JWKS is a handful of keys; anything much larger is not one.
_MAX_KEYS = 100

Jwk = Mapping[str, Any]


class JwksError(Exception):
    """The key for a token cannot be had."""


class UnknownKeyError(JwksError):
    """The issuer does not publish a key with this ``kid`` (after a refetch, if allowed)."""


class JwksUnavailableError(JwksError):
    """The issuer's JWKS could not be fetched and no earlier copy is cached."""


class JwksCache:
    """The issuer's public keys by ``kid``, cached and refetched on rotation.

    Parameters
    ----------
    issuer
        The issuer URL; ``<issuer>/.well-known/openid-configuration`` gives the
        ``jwks_uri`` when ``jwks_url`` is not set.
    jwks_url
        Where the JWKS is, skipping discovery.
    cache_seconds
        How long a fetched key set is trusted before it is fetched again.
    min_refetch_seconds
        The least time between two fetches (successful or not), whatever the
        tokens say. Bounded by ``cache_seconds``.
    timeout_seconds
        The HTTP timeout of one fetch.
    client
        An ``httpx.AsyncClient`` to fetch with (the caller owns it); by default a
        short-lived client per fetch, since fetches are minutes apart.
    clock
        Monotonic seconds; tests pass a fake one.
    """

    def __init__(
        self,
        *,
        issuer: str,
        jwks_url: str | None = None,
        cache_seconds: float = 300,
        min_refetch_seconds: float = 30,
        timeout_seconds: float = 5,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if cache_seconds <= 0:
            raise ValueError("cache_seconds must be positive")
        self.issuer = issuer
        self.cache_seconds = float(cache_seconds)
        self.min_refetch_seconds = max(0.0, min(float(min_refetch_seconds), self.cache_seconds))
        self._jwks_url = jwks_url
        self._timeout = timeout_seconds
        self._client = client
        self._clock = clock
        self._keys: Mapping[str, Jwk] | None = None
        self._fetched_at: float | None = None
        self._last_attempt: float | None = None
        self._lock = asyncio.Lock()

    @property
    def kids(self) -> frozenset[str]:
        """The ``kid`` values currently cached (empty before the first fetch)."""
        return frozenset(self._keys or ())

    async def get_key(self, kid: str) -> Jwk:
        """The public JWK with ``kid``.

        Raises
        ------
        UnknownKeyError
            The issuer does not publish this key (or a refetch is not yet allowed).
        JwksUnavailableError
            The key set could not be fetched and none is cached.
        """
        keys = self._keys
        if keys is not None and self._fresh() and kid in keys:
            return keys[kid]
        # Stale, never fetched, or an unknown kid: one coroutine fetches, the
        # others wait for it and then look again (no stampede).
        async with self._lock:
            keys = self._keys
            if keys is not None and self._fresh() and kid in keys:
                return keys[kid]
            if self._may_fetch():
                await self._fetch()
            keys = self._keys
        if keys is None:
            raise JwksUnavailableError(f"JWKS of {self.issuer} unavailable")
        try:
            return keys[kid]
        except KeyError:
            raise UnknownKeyError(kid) from None

    async def refresh(self) -> None:
        """Fetch the key set now, whatever the cache says (for warm-up at startup)."""
        async with self._lock:
            await self._fetch()

    def retry_after(self) -> int:
        """Seconds until the next fetch is allowed (for a ``Retry-After`` header)."""
        if self._last_attempt is None:
            return 1
        left = self.min_refetch_seconds - (self._clock() - self._last_attempt)
        return max(1, int(left + 0.999))

    def _fresh(self) -> bool:
        return (
            self._fetched_at is not None and self._clock() - self._fetched_at < self.cache_seconds
        )

    def _may_fetch(self) -> bool:
        return (
            self._last_attempt is None
            or self._clock() - self._last_attempt >= self.min_refetch_seconds
        )

    async def _fetch(self) -> None:
        self._last_attempt = self._clock()
        try:
            if self._client is not None:
                keys = await self._fetch_with(self._client)
            else:
                async with httpx.AsyncClient(timeout=self._timeout) as client:
                    keys = await self._fetch_with(client)
        except (httpx.HTTPError, ValueError) as exc:
            # Keep the last good keys: the issuer being down must not reject
            # tokens signed with keys we already trust.
            _log.warning("JWKS fetch from %s failed: %s", self.issuer, exc)
            return
        self._keys = keys
        self._fetched_at = self._clock()
        _log.info("JWKS of %s fetched: kids=%s", self.issuer, sorted(keys))

    async def _fetch_with(self, client: httpx.AsyncClient) -> Mapping[str, Jwk]:
        url = self._jwks_url or await self._discover(client)
        response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        return _parse_jwks(response.json())

    async def _discover(self, client: httpx.AsyncClient) -> str:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError("discovery document is not a JSON object")
        # OpenID Connect Discovery §4.3: the document must name the issuer we asked.
        if document.get("issuer") != self.issuer:
            raise ValueError(f"discovery issuer {document.get('issuer')!r} != {self.issuer!r}")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise ValueError("discovery document has no usable jwks_uri")
        self._jwks_url = jwks_uri
        return jwks_uri


def _parse_jwks(document: object) -> Mapping[str, Jwk]:
    """The signing keys of a JWKS document, by ``kid``; other keys are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("JWKS document has no 'keys' list")
    raw_keys: list[object] = document["keys"]
    if len(raw_keys) > _MAX_KEYS:
        raise ValueError(f"JWKS document has {len(raw_keys)} keys")
    keys: dict[str, Jwk] = {}
    for raw in raw_keys:
        if not isinstance(raw, dict):
            continue
        kid = raw.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        if raw.get("kty") not in _ASYMMETRIC_KTY:
            continue
        if raw.get("use", "sig") != "sig":  # an encryption key never verifies a signature
            continue
        keys[kid] = MappingProxyType(dict(raw))
    return MappingProxyType(keys)
