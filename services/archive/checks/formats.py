"""Format identification from the bytes (puremagic) and open tests (PDF, OFD, XML, images)."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

import puremagic
import pypdf

__all__ = ["declared_format", "identify", "open_test"]

_EXT_ALIASES = {"jpeg": "jpg", "jpe": "jpg"}
_MIME = {
    "application/pdf": "pdf",
    "application/ofd": "ofd",
    "application/xml": "xml",
    "text/xml": "xml",
    "image/jpeg": "jpg",
    "image/png": "png",
}
_OFD_NS = "http://www.ofdspec.org/2016"


def declared_format(filename: str, content_type: str) -> str | None:
    """What the uploader said it is: the file's extension, else its media type."""
    suffix = PurePosixPath(filename).suffix.lower().lstrip(".")
    if suffix:
        return _EXT_ALIASES.get(suffix, suffix)
    return _MIME.get(content_type.split(";")[0].strip().lower())


def _is_ofd(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return "OFD.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def identify(path: Path) -> str | None:
    """The format the bytes say (extension without dot), or None when unknown."""
    with path.open("rb") as src:
        head = src.read(8192)
    if not head:
        return None
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<?xml"):
        return "xml"
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    exts = [m.extension.lower().lstrip(".") for m in matches if m.extension]
    for ext in exts:
        if ext == "zip" or head.startswith(b"PK\x03\x04"):
            return "ofd" if _is_ofd(path) else "zip"
        if ext in ("pdf", "png"):
            return str(ext)
        if ext in ("jpg", "jpeg", "jfif"):
            return "jpg"
    if head.startswith(b"PK\x03\x04"):
        return "ofd" if _is_ofd(path) else "zip"
    return str(_EXT_ALIASES.get(exts[0], exts[0])) if exts else None


def _open_pdf(path: Path) -> str:
    reader = pypdf.PdfReader(str(path), strict=False)
    if reader.is_encrypted:
        raise ValueError("PDF 已加密，不符合归档要求")
    pages = len(reader.pages)
    if pages == 0:
        raise ValueError("PDF 没有页面")
    for page in reader.pages[: min(pages, 3)]:
        page.extract_text()
    return f"PDF 可打开，共 {pages} 页"


def _open_ofd(path: Path) -> str:
    """GB/T 33190-2016: OFD.xml at the root names DocBody/DocRoot, a Document.xml with pages."""
    with zipfile.ZipFile(path) as zf:
        bad = zf.testzip()
        if bad is not None:
            raise ValueError(f"OFD 包内 {bad} 损坏")
        names = set(zf.namelist())
        root = ET.fromstring(zf.read("OFD.xml"))  # noqa: S314 - a local file, entities off by default in expat
        if root.tag not in (f"{{{_OFD_NS}}}OFD", "OFD"):
            raise ValueError(f"OFD.xml 根元素为 {root.tag}，应为 ofd:OFD")
        doc_roots = [
            (el.text or "").strip().lstrip("/") for el in root.iter() if el.tag.endswith("DocRoot")
        ]
        if not doc_roots or not doc_roots[0]:
            raise ValueError("OFD.xml 缺少 DocBody/DocRoot")
        doc_path = doc_roots[0]
        if doc_path not in names:
            raise ValueError(f"DocRoot 指向的 {doc_path} 不存在")
        document = ET.fromstring(zf.read(doc_path))  # noqa: S314
        pages = [el for el in document.iter() if el.tag.endswith("}Page") or el.tag == "Page"]
        if not pages:
            raise ValueError(f"{doc_path} 中没有页面")
        return f"OFD 可打开，{doc_path} 共 {len(pages)} 页"


def _open_xml(path: Path) -> str:
    ET.parse(path)  # noqa: S314
    return "XML 可解析"


def _open_image(path: Path, fmt: str) -> str:
    data = path.read_bytes()
    if fmt == "png":
        if not data.startswith(b"\x89PNG\r\n\x1a\n") or b"IEND" not in data[-16:]:
            raise ValueError("PNG 结构不完整（缺少 IEND）")
    elif not data.startswith(b"\xff\xd8") or not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise ValueError("JPEG 结构不完整（缺少 EOI）")
    return f"{fmt.upper()} 结构完整"


def open_test(path: Path, fmt: str | None) -> tuple[str, str]:
    """``(outcome, detail)``: pass when the file opens, fail when it does not, not_run otherwise."""
    try:
        if fmt == "pdf":
            return "pass", _open_pdf(path)
        if fmt == "ofd":
            return "pass", _open_ofd(path)
        if fmt == "xml":
            return "pass", _open_xml(path)
        if fmt in ("jpg", "png"):
            return "pass", _open_image(path, fmt)
    except Exception as exc:  # any failure to open is the finding itself
        return "fail", f"无法打开：{type(exc).__name__}: {exc}"
    return "not_run", f"没有 {fmt or '未知格式'} 的打开测试"
