"""Verified tokens remembered until they expire, so a client's next request skips the crypto.

A browser or another service sends the same bearer token on every request for
its whole lifetime; checking its signature again each time is most of the CPU
an authenticated read costs (issue 21). Only tokens that passed every check are
kept, keyed by the raw token (a byte changed is another key), each at most until
its ``exp``, and at most ``size`` of them (least recently used dropped first).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._jwks import Jwk

__all__ = ["TokenCache", "VerifiedToken"]


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """What a full verification established, and with which key."""

    claims: Mapping[str, Any]
    kid: str
    key: Jwk
    expires_at: float


class TokenCache:
    """A bounded LRU of verified tokens; an entry is gone once its ``exp`` has passed."""

    def __init__(self, size: int = 4096, *, clock: Callable[[], float] = time.time) -> None:
        if size < 0:
            raise ValueError("size must not be negative")
        self.size = size
        self._clock = clock
        self._entries: OrderedDict[str, VerifiedToken] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> VerifiedToken | None:
        """The entry of ``token`` if it was verified and has not expired."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        if self._clock() >= entry.expires_at:
            # Expired: the caller verifies in full and refuses it with the usual reason.
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return entry

    def put(self, token: str, entry: VerifiedToken) -> None:
        """Remember a token that passed every check (never call it for one that did not)."""
        if self.size == 0 or self._clock() >= entry.expires_at:
            return
        self._entries[token] = entry
        self._entries.move_to_end(token)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def forget(self, token: str) -> None:
        self._entries.pop(token, None)
