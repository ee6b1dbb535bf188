"""SM3 and SHA-256 in one pass: fixity for uploads and for the archive's re-verification."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterable, AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, Protocol

__all__ = ["CHUNK_SIZE", "BackgroundDigester", "Digester", "Digests", "file_chunks", "hash_stream"]

# 1 MiB: large enough that per-chunk overhead vanishes, small enough to keep memory flat.
CHUNK_SIZE = 1024 * 1024

# Hashing and file reads get threads of their own rather than the loop's default
# executor: an S3 upload holds a default-executor thread while it waits for bytes, so
# enough concurrent uploads would otherwise leave no thread to produce the bytes they
# wait for. Work here never waits on other work. hashlib releases the GIL on large
# updates, so these threads run beside the loop and the upload.
_WORKERS = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="govproj-hash")


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


class BackgroundDigester:
    """A :class:`Digester` fed from the event loop and run in a hashing thread.

    Chunks are hashed one at a time, in order: :meth:`update` waits for the
    previous chunk, then starts this one and returns, so the caller reads (or
    uploads) the next chunk while this one is hashed. Chunks must not change
    after they are handed over (``bytes`` never do).
    """

    def __init__(self) -> None:
        self._digester = Digester()
        self._pending: asyncio.Future[None] | None = None

    async def update(self, chunk: bytes) -> None:
        """Wait for the chunk before, then start hashing ``chunk``."""
        if self._pending is not None:
            await self._pending
        loop = asyncio.get_running_loop()
        self._pending = loop.run_in_executor(_WORKERS, self._digester.update, chunk)

    async def digests(self) -> Digests:
        """The digests of every chunk handed over, once the last one is hashed."""
        if self._pending is not None:
            await self._pending
            self._pending = None
        return self._digester.digests()


async def file_chunks(file: BinaryIO, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
    """``file`` as an async iterable of ``chunk_size`` reads, each in a storage worker thread."""
    loop = asyncio.get_running_loop()
    while chunk := await loop.run_in_executor(_WORKERS, file.read, chunk_size):
        yield chunk


async def hash_stream(
    stream: AsyncIterable[bytes] | BinaryIO, *, chunk_size: int = CHUNK_SIZE
) -> Digests:
    """Compute size, SHA-256 and SM3 of ``stream`` in one pass, in constant memory.

    A binary file object is read in a worker thread, ``chunk_size`` bytes at a
    time; an async iterable is consumed as it comes, each chunk hashed in a
    hashing thread while the next one arrives.
    """
    if isinstance(stream, AsyncIterable):
        # Off the loop, and overlapped with fetching the next chunk.
        background = BackgroundDigester()
        async for chunk in stream:
            await background.update(chunk)
        return await background.digests()
    digester = Digester()

    def _consume() -> None:
        while chunk := stream.read(chunk_size):
            digester.update(chunk)

    await asyncio.to_thread(_consume)
    return digester.digests()
