"""SM3 and SHA-256 in one pass: fixity for uploads and for the archive's re-verification."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterable
from dataclasses import dataclass
from typing import BinaryIO, Protocol

__all__ = ["CHUNK_SIZE", "Digester", "Digests", "hash_stream"]

# 1 MiB: large enough that per-chunk overhead vanishes, small enough to keep memory flat.
CHUNK_SIZE = 1024 * 1024


class _Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


class _CryptographySM3:
    """SM3 through ``cryptography`` for an OpenSSL built without it in ``hashlib``."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import hashes

        self._hash = hashes.Hash(hashes.SM3())

    def update(self, data: bytes, /) -> None:
        self._hash.update(data)

    def hexdigest(self) -> str:
        return self._hash.finalize().hex()


def _new_sm3() -> _Hash:
    try:
        return hashlib.new("sm3")
    except ValueError:  # OpenSSL without SM3: fall back to the same algorithm elsewhere
        return _CryptographySM3()


@dataclass(frozen=True, slots=True)
class Digests:
    """Size and hex digests of a byte stream."""

    size: int
    sha256: str
    sm3: str


class Digester:
    """Feeds every chunk to SM3 and SHA-256 at once and counts the bytes."""

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._sm3 = _new_sm3()
        self._size = 0

    def update(self, chunk: bytes) -> None:
        """Add ``chunk`` to both digests."""
        self._sha256.update(chunk)
        self._sm3.update(chunk)
        self._size += len(chunk)

    @property
    def size(self) -> int:
        """Bytes seen so far."""
        return self._size

    def digests(self) -> Digests:
        """The digests of everything seen so far (further updates remain possible)."""
        return Digests(size=self._size, sha256=self._sha256.hexdigest(), sm3=self._sm3.hexdigest())


async def hash_stream(
    stream: AsyncIterable[bytes] | BinaryIO, *, chunk_size: int = CHUNK_SIZE
) -> Digests:
    """Compute size, SHA-256 and SM3 of ``stream`` in one pass, in constant memory.

    A binary file object is read in a worker thread, ``chunk_size`` bytes at a
    time; an async iterable is consumed as it comes.
    """
    digester = Digester()
    if isinstance(stream, AsyncIterable):
        async for chunk in stream:
            digester.update(chunk)
        return digester.digests()

    def _consume() -> None:
        while chunk := stream.read(chunk_size):
            digester.update(chunk)

    await asyncio.to_thread(_consume)
    return digester.digests()
