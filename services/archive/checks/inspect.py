"""Format identification and open tests of one file, with caps: run in a child process.

Everything here parses bytes a client chose (issue 16: a 1.7 KB OFD of bzip2
members drove the archive to 4.2 GB; expat 2.5.0 spends minutes on one long
attribute). So every parser is bounded twice:

- by caps it checks itself (sizes, member counts, compression ratios, nesting,
  entity declarations), which give a precise Chinese reason;
- by the process it runs in (:mod:`services.archive.checks.sandbox` starts
  ``python -m services.archive.checks.inspect`` with RLIMIT_AS and RLIMIT_CPU and
  kills it at a wall-clock deadline), which catches what the caps did not
  foresee.

The child prints one JSON line per result (``identify`` first, then ``open``),
so an identification survives a parser that is killed afterwards.
"""

from __future__ import annotations

import json
import os
import resource
import struct
import sys
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = ["LIMITS", "Limits", "Refused", "identify", "main", "open_test", "scan_xml"]

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """The caps of one inspection (figures in docs/reliability.md, "hostile input")."""

    # Process caps (set by the child on itself before any parser is imported).
    address_space: int = 512 * MiB
    cpu_seconds: int = 20
    # Zip / OFD (GB/T 33190 is a zip of XML parts and resources).
    zip_members: int = 10_000
    zip_total_uncompressed: int = 1024 * MiB  # declared, all members
    zip_member_uncompressed: int = 256 * MiB  # declared, one member
    zip_ratio: int = 100  # uncompressed / compressed, for members over zip_ratio_floor
    zip_ratio_floor: int = 1 * MiB
    zip_read_total: int = 1024 * MiB  # bytes actually decompressed by the CRC walk
    # XML (a standalone file, and each OFD part that is parsed).
    xml_bytes: int = 256 * MiB
    xml_depth: int = 256
    xml_elements: int = 2_000_000
    # PDF and images.
    pdf_pages_text: int = 3
    image_pixels: int = 400_000_000
    image_side: int = 100_000
    # Wall clock for all of it (checked between steps; the parent kills at +15 s). Generous:
    # RLIMIT_CPU bounds the work, this only ends a child that waits or crawls on a
    # loaded machine, and a good file must not fail because the machine is busy.
    seconds: float = 60.0


LIMITS = Limits()


class Refused(Exception):
    """A cap was reached: the file is not opened further, and the check fails with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- identification ---------------------------------------------------------------------

_EXT_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "jfif": "jpg"}


def _zip_kind(path: Path, limits: Limits) -> str:
    """``ofd`` for a zip with ``OFD.xml`` at its root, else ``zip`` (never decompresses)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "zip"
    if len(names) > limits.zip_members:
        return "zip"
    return "ofd" if "OFD.xml" in names else "zip"


def identify(path: Path, limits: Limits = LIMITS) -> str | None:
    """The format the bytes say (extension without dot), or None when unknown."""
    import puremagic

    with path.open("rb") as src:
        head = src.read(8192)
    if not head:
        return None
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml"):
        return "xml"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path, limits)
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    exts = [m.extension.lower().lstrip(".") for m in matches if m.extension]
    for ext in exts:
        if ext == "zip":
            return _zip_kind(path, limits)
        if ext in ("pdf", "png"):
            return str(ext)
        if ext in ("jpg", "jpeg", "jfif"):
            return "jpg"
    return str(_EXT_ALIASES.get(exts[0], exts[0])) if exts else None


# --- XML ----------------------------------------------------------------------------------


@dataclass
class XmlScan:
    """What a streaming pass over an XML document saw (no tree is ever built)."""

    root: str | None = None
    elements: int = 0
    counted: int = 0
    texts: dict[str, str] = field(default_factory=dict)


def scan_xml(
    read: Callable[[int], bytes],
    size_hint: int,
    *,
    limits: Limits = LIMITS,
    count_local: str | None = None,
    text_of_local: str | None = None,
    deadline: float | None = None,
) -> XmlScan:
    """Parse XML from ``read`` with expat handlers only: no tree, no entities, bounded.

    expat 2.5.0 re-scans an unfinished token from its start on every feed
    (CVE-2023-52425), so feeding 64 KiB pieces costs O(token²/64 KiB): 83 s
    for one 64 MiB attribute. Feeding pieces of an eighth of the document makes
    the re-scan cost at most eight passes over it, whatever the token.
    Entity declarations are refused (as defusedxml does); the DTD is never
    loaded; depth and element count are capped.
    """
    import pyexpat

    parser = pyexpat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    scan = XmlScan()
    depth = 0
    capture: list[str] | None = None

    def local(name: str) -> str:
        return name.rsplit("}", 1)[-1]

    def start(name: str, _attrs: dict[str, str]) -> None:
        nonlocal depth, capture
        depth += 1
        scan.elements += 1
        if depth > limits.xml_depth:
            raise Refused(f"XML 嵌套超过 {limits.xml_depth} 层")
        if scan.elements > limits.xml_elements:
            raise Refused(f"XML 元素超过 {limits.xml_elements} 个")
        if scan.root is None:
            scan.root = name
        if count_local is not None and local(name) == count_local:
            scan.counted += 1
        if (
            text_of_local is not None
            and local(name) == text_of_local
            and text_of_local not in scan.texts
        ):
            capture = []

    def end(name: str) -> None:
        nonlocal depth, capture
        depth -= 1
        if capture is not None and text_of_local is not None and local(name) == text_of_local:
            scan.texts[text_of_local] = "".join(capture)[:4096]
            capture = None

    def chars(data: str) -> None:
        if capture is not None and sum(map(len, capture)) < 4096:
            capture.append(data)

    def no_entities(*_args: Any) -> None:
        raise Refused("XML 含实体声明（可能的实体膨胀攻击），不予解析")

    def no_external(*_args: Any) -> int:
        raise Refused("XML 引用外部实体，不予解析")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.EntityDeclHandler = no_entities
    parser.UnparsedEntityDeclHandler = no_entities
    parser.ExternalEntityRefHandler = no_external
    if size_hint > limits.xml_bytes:
        raise Refused(f"XML 大小 {size_hint} 字节，超过检测上限 {limits.xml_bytes} 字节")
    piece = max(MiB, min(size_hint // 8 + 1, 32 * MiB))
    total = 0
    while chunk := read(piece):
        total += len(chunk)
        if total > limits.xml_bytes:
            raise Refused(f"XML 超过检测上限 {limits.xml_bytes} 字节")
        parser.Parse(chunk, False)
        if deadline is not None and time.monotonic() > deadline:
            raise Refused(f"XML 解析超过 {limits.seconds:g} 秒")
    parser.Parse(b"", True)
    if scan.root is None:
        raise ValueError("XML 没有根元素")
    return scan


def _open_xml(path: Path, limits: Limits, deadline: float) -> str:
    with path.open("rb") as src:
        scan = scan_xml(src.read, path.stat().st_size, limits=limits, deadline=deadline)
    return f"XML 可解析，{scan.elements} 个元素"


# --- zip / OFD ----------------------------------------------------------------------------

_OFD_NS = "http://www.ofdspec.org/2016"


def _check_members(zf: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a zip by its central directory before a byte is decompressed."""
    infos = zf.infolist()
    if len(infos) > limits.zip_members:
        raise Refused(f"包内成员 {len(infos)} 个，超过上限 {limits.zip_members}")
    total = 0
    for info in infos:
        if info.file_size > limits.zip_member_uncompressed:
            raise Refused(
                f"包内 {info.filename[:80]} 解压后 {info.file_size} 字节，"
                f"超过单个成员上限 {limits.zip_member_uncompressed}"
            )
        if info.file_size > limits.zip_ratio_floor and info.file_size > limits.zip_ratio * max(
            info.compress_size, 1
        ):
            raise Refused(
                f"包内 {info.filename[:80]} 压缩比 {info.file_size // max(info.compress_size, 1)}:1，"
                f"超过上限 {limits.zip_ratio}:1（疑似压缩炸弹）"
            )
        total += info.file_size
        if total > limits.zip_total_uncompressed:
            raise Refused(
                f"解压后总大小超过上限 {limits.zip_total_uncompressed} 字节（疑似压缩炸弹）"
            )


def _bounded(member: IO[bytes], budget: list[int], limits: Limits) -> Callable[[int], bytes]:
    """A ``read`` that stops the whole inspection past ``zip_read_total`` decompressed bytes.

    The declared sizes were checked, and zipfile never returns more than the
    declared size; this counts what is really produced, in case a member lies.
    """

    def read(n: int) -> bytes:
        data = member.read(min(n, 4 * MiB))
        budget[0] += len(data)
        if budget[0] > limits.zip_read_total:
            raise Refused(f"解压数据超过上限 {limits.zip_read_total} 字节（疑似压缩炸弹）")
        return data

    return read


def _open_ofd(path: Path, limits: Limits, deadline: float) -> str:
    """GB/T 33190-2016: OFD.xml at the root names DocBody/DocRoot, a Document.xml with pages."""
    with zipfile.ZipFile(path) as zf:
        _check_members(zf, limits)
        budget = [0]
        # The CRC of every member, streamed (testzip() would, but unbounded).
        for info in zf.infolist():
            if info.is_dir():
                continue
            with zf.open(info) as member:
                read = _bounded(member, budget, limits)
                try:
                    while read(4 * MiB):
                        if time.monotonic() > deadline:
                            raise Refused(f"OFD 校验超过 {limits.seconds:g} 秒")
                except zipfile.BadZipFile as exc:
                    raise ValueError(f"OFD 包内 {info.filename[:80]} 损坏：{exc}") from None
        names = set(zf.namelist())
        with zf.open("OFD.xml") as member:
            ofd = scan_xml(
                _bounded(member, budget, limits),
                zf.getinfo("OFD.xml").file_size,
                limits=limits,
                text_of_local="DocRoot",
                deadline=deadline,
            )
        if ofd.root not in (f"{_OFD_NS}}}OFD", "OFD"):
            raise ValueError(f"OFD.xml 根元素为 {ofd.root}，应为 ofd:OFD")
        doc_path = ofd.texts.get("DocRoot", "").strip().lstrip("/")
        if not doc_path:
            raise ValueError("OFD.xml 缺少 DocBody/DocRoot")
        if doc_path not in names:
            raise ValueError(f"DocRoot 指向的 {doc_path[:120]} 不存在")
        with zf.open(doc_path) as member:
            document = scan_xml(
                _bounded(member, budget, limits),
                zf.getinfo(doc_path).file_size,
                limits=limits,
                count_local="Page",
                deadline=deadline,
            )
        if not document.counted:
            raise ValueError(f"{doc_path[:120]} 中没有页面")
        return f"OFD 可打开，{doc_path[:120]} 共 {document.counted} 页"


# --- PDF ----------------------------------------------------------------------------------


def _open_pdf(path: Path, limits: Limits, deadline: float) -> str:
    import pypdf

    reader = pypdf.PdfReader(str(path), strict=False)
    if reader.is_encrypted:
        raise ValueError("PDF 已加密，不符合归档要求")
    pages = len(reader.pages)
    if pages == 0:
        raise ValueError("PDF 没有页面")
    for page in reader.pages[: min(pages, limits.pdf_pages_text)]:
        page.extract_text()
        if time.monotonic() > deadline:
            raise Refused(f"PDF 解析超过 {limits.seconds:g} 秒")
    return f"PDF 可打开，共 {pages} 页"


# --- images -------------------------------------------------------------------------------


def _png_chunks(src: IO[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """Each chunk's type and (for IHDR only) data, CRC-checked; nothing is decompressed."""
    while True:
        head = src.read(8)
        if len(head) < 8:
            raise ValueError("PNG 结构不完整（缺少 IEND）")
        length, kind = struct.unpack(">I4s", head)
        crc = zlib.crc32(kind)
        keep = b""
        left = length
        while left:
            part = src.read(min(left, MiB))
            if not part:
                raise ValueError("PNG 数据块被截断")
            crc = zlib.crc32(part, crc)
            if kind == b"IHDR":
                keep += part
            left -= len(part)
        stored = src.read(4)
        if len(stored) < 4 or struct.unpack(">I", stored)[0] != crc & 0xFFFFFFFF:
            raise ValueError(f"PNG 数据块 {kind.decode('latin-1')} 校验失败")
        yield kind, keep
        if kind == b"IEND":
            return


def _check_pixels(width: int, height: int, limits: Limits, fmt: str) -> None:
    if not width or not height:
        raise ValueError(f"{fmt} 宽高为 0")
    if max(width, height) > limits.image_side or width * height > limits.image_pixels:
        raise Refused(f"{fmt} 尺寸 {width}×{height} 超过检测上限（疑似解压炸弹）")


def _open_png(path: Path, limits: Limits) -> str:
    with path.open("rb") as src:
        if src.read(8) != b"\x89PNG\r\n\x1a\n":
            raise ValueError("PNG 签名错误")
        first = True
        for kind, data in _png_chunks(src):
            if first:
                if kind != b"IHDR" or len(data) != 13:
                    raise ValueError("PNG 首块不是 IHDR")
                width, height = struct.unpack(">II", data[:8])
                _check_pixels(width, height, limits, "PNG")
                first = False
        if src.read(1):
            raise ValueError("PNG 在 IEND 之后还有数据")
    return f"PNG 结构完整，{width}×{height}"


def _open_jpeg(path: Path, limits: Limits) -> str:
    size = path.stat().st_size
    with path.open("rb") as src:
        head = src.read(MiB)
        src.seek(max(0, size - 64 * 1024))
        tail = src.read()
    if not head.startswith(b"\xff\xd8"):
        raise ValueError("JPEG 结构不完整（缺少 SOI）")
    if not tail.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise ValueError("JPEG 结构不完整（缺少 EOI）")
    # Walk the markers of the first MiB to the frame header (SOF0..SOF15 but DHT/JPG/DAC).
    at = 2
    while at + 4 <= len(head):
        if head[at] != 0xFF:
            raise ValueError("JPEG 标记结构错误")
        marker = head[at + 1]
        if marker == 0xFF:
            at += 1
            continue
        length = struct.unpack(">H", head[at + 2 : at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if at + 9 > len(head):
                break
            height, width = struct.unpack(">HH", head[at + 5 : at + 9])
            _check_pixels(width, height, limits, "JPEG")
            return f"JPEG 结构完整，{width}×{height}"
        if marker == 0xDA:
            break
        at += 2 + length
    raise ValueError("JPEG 缺少帧头（SOF）")


# --- the child's entry point --------------------------------------------------------------


def open_test(path: Path, fmt: str | None, limits: Limits = LIMITS) -> tuple[str, str]:
    """``(outcome, detail)``: pass when the file opens, fail when it does not or a cap is hit."""
    deadline = time.monotonic() + limits.seconds
    try:
        if fmt == "pdf":
            return "pass", _open_pdf(path, limits, deadline)
        if fmt == "ofd":
            return "pass", _open_ofd(path, limits, deadline)
        if fmt == "xml":
            return "pass", _open_xml(path, limits, deadline)
        if fmt == "png":
            return "pass", _open_png(path, limits)
        if fmt == "jpg":
            return "pass", _open_jpeg(path, limits)
    except Refused as exc:
        return "fail", f"超出检测上限：{exc.reason}"
    except MemoryError:
        return "fail", f"超出检测上限：内存超过 {limits.address_space // MiB} MiB"
    except Exception as exc:  # any failure to open is the finding itself
        if "out of memory" in str(exc):  # expat reports its allocation failures as ExpatError
            return "fail", f"超出检测上限：内存超过 {limits.address_space // MiB} MiB"
        if isinstance(exc, RecursionError):
            return "fail", "超出检测上限：结构嵌套过深"
        return "fail", f"无法打开：{type(exc).__name__}: {str(exc)[:300]}"
    return "not_run", f"没有 {fmt or '未知格式'} 的打开测试"


def _limit_self(limits: Limits) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.address_space, limits.address_space))
    # The soft limit sends SIGXCPU (which kills), the hard one a second later SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _emit(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    """``inspect.py PATH [FORMAT]``: identify (unless FORMAT is given), then open-test."""
    limits = Limits(
        address_space=int(os.environ.get("GOVPROJ_ARCHIVE_CHECK_MEMORY", LIMITS.address_space)),
        cpu_seconds=int(os.environ.get("GOVPROJ_ARCHIVE_CHECK_CPU", LIMITS.cpu_seconds)),
        seconds=float(os.environ.get("GOVPROJ_ARCHIVE_CHECK_SECONDS", LIMITS.seconds)),
    )
    _limit_self(limits)
    path = Path(argv[0])
    fmt: str | None
    try:
        fmt = identify(path, limits)
    except MemoryError:
        fmt = None
    _emit({"identify": fmt})
    outcome, detail = open_test(path, fmt, limits)
    _emit({"open": [outcome, detail]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
