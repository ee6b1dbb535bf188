"""Streaming multipart/form-data: the file part goes to the store as it arrives.

Starlette's ``request.form()`` spools files to disk and holds the whole form
before the route runs; an archive upload may be gigabytes. Here
``python-multipart``'s push parser is fed from ``request.stream()``: the form
fields (the metadata) must come before the file part, are validated first, and
the file's bytes are then handed on in ~1 MiB pieces. Memory stays flat.

A part after the file, a second file, or a truncated body raises while the
store is still reading, so the store discards the partial upload.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from libs.common.errors import Problem
from services.archive.names import safe_filename

__all__ = ["FilePart", "StreamedForm", "read_form_head"]

_MAX_FIELD = 64 * 1024
# A media type as RFC 9110 writes it: type/subtype, then parameters; no control
# characters (a line feed here made the version undownloadable: issue 16) and at
# most 255 characters (the column), checked before a byte of the file is stored.
_MEDIA_TYPE = re.compile(
    r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,127}/[!#$%&'*+.^_`|~0-9A-Za-z-]{1,127}(?:\s*;[\x20-\x7e]*)?$"
)
_MAX_MEDIA_TYPE = 255
_MAX_FIELDS = 32
_COALESCE = 1024 * 1024


def _bad(detail: str) -> Problem:
    return Problem(400, "bad_multipart", "上传格式错误", detail)


@dataclass
class _State:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    name: str | None = None
    filename: str | None = None
    part_type: str = "application/octet-stream"
    in_file: bool = False
    value: bytearray = field(default_factory=bytearray)
    fields: dict[str, str] = field(default_factory=dict)
    file_seen: bool = False
    file_done: bool = False
    ended: bool = False
    chunks: deque[bytes] = field(default_factory=deque)
    error: str | None = None


@dataclass
class FilePart:
    """The file of the form: its name and type as sent, and its bytes as an async iterator."""

    filename: str
    content_type: str
    _form: StreamedForm

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._form._file_bytes()


class StreamedForm:
    """A multipart body read in one pass: fields first, then one file."""

    def __init__(self, content_type: str, stream: AsyncIterator[bytes]) -> None:
        ctype, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            raise Problem(
                415,
                "unsupported_media_type",
                "不支持的内容类型",
                "Content-Type: 上传须为 multipart/form-data（带 boundary）",
            )
        self._stream = stream
        self._s = _State()
        s = self._s

        def on_part_begin() -> None:
            if s.file_done:
                s.error = "文件部分之后不能再有其他字段：元数据字段须在文件之前"
            s.headers, s.name, s.filename, s.in_file = {}, None, None, False
            s.value = bytearray()

        def on_header_field(data: bytes, start: int, end: int) -> None:
            s.header_field += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            s.header_value += data[start:end]

        def on_header_end() -> None:
            s.headers[bytes(s.header_field).lower()] = bytes(s.header_value)
            s.header_field, s.header_value = bytearray(), bytearray()

        def on_headers_finished() -> None:
            _, disp = parse_options_header(s.headers.get(b"content-disposition", b""))
            raw_name = disp.get(b"name")
            if raw_name is None:
                s.error = "每个部分都须有 Content-Disposition 的 name"
                return
            s.name = raw_name.decode("utf-8", "replace")
            raw_filename = disp.get(b"filename*") or disp.get(b"filename")
            if raw_filename is not None:
                if s.file_seen:
                    s.error = "一次上传只能包含一个文件"
                    return
                s.in_file = s.file_seen = True
                try:
                    s.filename = _decode_filename(raw_filename)
                except Problem as exc:
                    s.error = exc.detail
                    return
                part_type = (
                    s.headers.get(b"content-type", b"application/octet-stream")
                    .decode("latin-1")
                    .strip()
                )
                if len(part_type) > _MAX_MEDIA_TYPE or not _MEDIA_TYPE.match(part_type or "x/x"):
                    s.error = "file 部分的 Content-Type 无效（须为 type/subtype，至多 255 个字符，不含控制字符）"
                    return
                s.part_type = part_type or "application/octet-stream"

        def on_part_data(data: bytes, start: int, end: int) -> None:
            if s.in_file:
                s.chunks.append(bytes(data[start:end]))
            else:
                s.value += data[start:end]
                if len(s.value) > _MAX_FIELD:
                    s.error = f"字段 {s.name} 过长"

        def on_part_end() -> None:
            if s.in_file:
                s.file_done = True
            elif s.name is not None:
                if len(s.fields) >= _MAX_FIELDS:
                    s.error = "字段过多"
                try:
                    s.fields[s.name] = bytes(s.value).decode("utf-8")
                except UnicodeDecodeError:
                    s.error = f"字段 {s.name} 不是 UTF-8"

        def on_end() -> None:
            s.ended = True

        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": on_part_begin,
                "on_part_data": on_part_data,
                "on_part_end": on_part_end,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_headers_finished": on_headers_finished,
                "on_end": on_end,
            },
        )

    def _feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise _bad(f"multipart 解析失败：{exc}") from None
        if self._s.error:
            raise _bad(self._s.error)

    async def _next(self) -> bytes | None:
        chunk = await anext(self._stream, None)
        if chunk is None:
            return None
        return chunk

    async def read_head(self) -> tuple[dict[str, str], FilePart | None]:
        """Read up to the start of the file part: the fields before it, and the file (if any)."""
        s = self._s
        while not s.file_seen and not s.ended:
            chunk = await self._next()
            if chunk is None:
                break
            if chunk:
                self._feed(chunk)
        if not s.file_seen:
            if not s.ended:
                raise _bad("请求体不完整：缺少结束分隔符")
            return dict(s.fields), None
        assert s.filename is not None
        return dict(s.fields), FilePart(s.filename, s.part_type, self)

    async def _file_bytes(self) -> AsyncIterator[bytes]:
        s = self._s
        pending: list[bytes] = []
        pending_size = 0
        while True:
            while s.chunks:
                piece = s.chunks.popleft()
                pending.append(piece)
                pending_size += len(piece)
                if pending_size >= _COALESCE:
                    yield b"".join(pending)
                    pending, pending_size = [], 0
            if s.file_done:
                break
            chunk = await self._next()
            if chunk is None:
                raise _bad("请求体不完整：文件未结束")
            self._feed(chunk)
        # The rest is the closing boundary; anything else is refused before the
        # last bytes are handed over, so the store never keeps a half-valid upload.
        while not s.ended:
            chunk = await self._next()
            if chunk is None:
                raise _bad("请求体不完整：缺少结束分隔符")
            self._feed(chunk)
        if pending:
            yield b"".join(pending)


def _decode_filename(raw: bytes) -> str:
    """A filename as browsers send it: UTF-8 bytes, or RFC 5987 ``UTF-8''%E6...``."""
    text = raw.decode("utf-8", "replace")
    if text.lower().startswith("utf-8''"):
        from urllib.parse import unquote

        text = unquote(text[7:], encoding="utf-8", errors="replace")
    name = safe_filename(text.replace("\\", "/").rsplit("/", 1)[-1])
    if not name:
        raise _bad("文件名为空")
    if len(name.encode()) > 255:
        raise _bad("文件名过长（最多 255 字节）")
    return name


async def read_form_head(
    content_type: str, stream: AsyncIterator[bytes]
) -> tuple[dict[str, str], FilePart | None]:
    """Parse the fields of a multipart body up to its file part."""
    return await StreamedForm(content_type, stream).read_head()
