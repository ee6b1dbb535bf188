"""A package's tar, generated from its tag files and the locked document versions.

Issue 16: each "build package" wrote another COMPLIANCE-locked full copy of
every document, storage that could never be freed. A package now stores only
its tag files (manifests, bag-info, metadata: kilobytes) in its row; its tar is
laid out here, deterministically (sorted members, fixed owner, mode and time,
PAX headers for Chinese names), so the bytes downloaded today are the bytes
whose size, SHA-256 and SM3 were recorded when the package was built.

A layout is a list of segments: literal bytes (headers, tag files, padding) or
one stored object's bytes. Its size is known without reading anything, so
Range requests are answered by walking the segments.
"""

from __future__ import annotations

import tarfile
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from libs.common.storage import Digester, ObjectStore
from services.archive.models import StoredObject

__all__ = ["Layout", "ObjectPart", "PayloadChanged", "layout", "local_bytes", "stream"]

_BLOCK = 512
_RECORD = 20 * _BLOCK


class PayloadChanged(Exception):
    """A payload object no longer has the bytes its package recorded: stop the download."""


@dataclass(frozen=True, slots=True)
class ObjectPart:
    """One payload member's bytes: a stored object version, and what they must hash to."""

    name: str  # the member's path inside the bag, e.g. data/0001-报告.pdf
    obj: StoredObject
    size: int
    sha256: str


Segment = bytes | ObjectPart


@dataclass(frozen=True, slots=True)
class Layout:
    """The tar as segments, and its total size."""

    segments: tuple[Segment, ...]
    size: int


def _header(name: str, size: int, mtime: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o444
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = mtime
    info.type = tarfile.REGTYPE
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _pad(size: int) -> bytes:
    return b"\0" * (-size % _BLOCK)


def layout(
    root: str, tags: dict[str, bytes], payload: Iterable[ObjectPart], *, mtime: int
) -> Layout:
    """The tar of a bag under ``root/``: every member sorted by path, as ``tar_bag`` did."""
    members: dict[str, bytes | ObjectPart] = dict(tags)
    for part in payload:
        members[part.name] = part
    segments: list[Segment] = []
    size = 0
    for name in sorted(members):
        member = members[name]
        length = len(member) if isinstance(member, bytes) else member.size
        head = _header(f"{root}/{name}", length, mtime)
        segments.append(head + member if isinstance(member, bytes) else head)
        if not isinstance(member, bytes):
            segments.append(member)
        segments.append(_pad(length))
        size += len(head) + length + len(_pad(length))
    end = b"\0" * (2 * _BLOCK)
    end += b"\0" * (-(size + len(end)) % _RECORD)
    segments.append(end)
    size += len(end)
    return Layout(tuple(s for s in segments if not isinstance(s, bytes) or s), size)


def _length(segment: Segment) -> int:
    return len(segment) if isinstance(segment, bytes) else segment.size


async def stream(
    store: ObjectStore,
    tar: Layout,
    byte_range: tuple[int, int] | None = None,
    *,
    local: Callable[[ObjectPart], Path] | None = None,
) -> AsyncIterator[bytes]:
    """The tar's bytes (or the inclusive ``byte_range`` of them).

    Payload comes from the store (or, while a package is being built, from
    ``local`` files). A payload member read whole is re-hashed, and a mismatch
    raises :class:`PayloadChanged` before its last bytes are sent: a download
    is cut short rather than handing out a package that differs from its record.
    """
    first, last = byte_range if byte_range is not None else (0, tar.size - 1)
    at = 0
    for segment in tar.segments:
        length = _length(segment)
        start, end = at, at + length - 1
        at += length
        if end < first or start > last:
            continue
        lo, hi = max(first, start) - start, min(last, end) - start
        if isinstance(segment, bytes):
            yield segment[lo : hi + 1]
            continue
        whole = lo == 0 and hi == length - 1
        digester = Digester()
        if local is not None:
            with local(segment).open("rb") as src:
                src.seek(lo)
                left = hi - lo + 1
                while left > 0:
                    chunk = src.read(min(left, 1024 * 1024))
                    if not chunk:
                        break
                    left -= len(chunk)
                    digester.update(chunk)
                    yield chunk
        else:
            obj = segment.obj
            got = await store.get(obj.bucket, obj.key, obj.version_id, byte_range=(lo, hi))
            async with got:
                held = b""
                async for chunk in got:
                    digester.update(chunk)
                    # Hold back the last chunk of a whole member until its digest is known.
                    if held:
                        yield held
                    held = chunk
                if whole and digester.digests().sha256 != segment.sha256:
                    raise PayloadChanged(f"{segment.name} 的内容与归档信息包记录不符")
                if held:
                    yield held
            continue
        if whole and digester.digests().sha256 != segment.sha256:
            raise PayloadChanged(f"{segment.name} 的内容与归档信息包记录不符")


def local_bytes(tags_dir: Path, names: Iterable[str]) -> dict[str, bytes]:
    """The tag files of a bag directory, by path (they are kilobytes)."""
    return {name: (tags_dir / name).read_bytes() for name in names}
