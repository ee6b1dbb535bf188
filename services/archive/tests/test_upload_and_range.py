"""The streaming multipart parser and the Range header, without a server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from libs.common.errors import Problem
from services.archive.documents.upload import StreamedForm
from services.archive.http_range import parse_range

B = "bnd"


def body(*parts: str) -> bytes:
    return ("".join(parts) + f"--{B}--\r\n").encode()


def field(name: str, value: str) -> str:
    return f'--{B}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'


def file(name: str, data: str) -> str:
    return (
        f'--{B}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n{data}\r\n"
    )


async def pieces(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def test_fields_come_first_and_the_file_streams() -> None:
    form = StreamedForm(
        f"multipart/form-data; boundary={B}",
        pieces(body(field("title", "验收报告"), file("报告.pdf", "%PDF-1.4 body"))),
    )
    fields, part = await form.read_head()
    assert fields == {"title": "验收报告"}
    assert part is not None and part.filename == "报告.pdf"
    assert b"".join([c async for c in part]) == b"%PDF-1.4 body"


async def test_a_part_after_the_file_is_refused_before_the_last_bytes() -> None:
    form = StreamedForm(
        f"multipart/form-data; boundary={B}",
        pieces(body(file("a.pdf", "x" * 100), field("title", "late"))),
    )
    _, part = await form.read_head()
    assert part is not None
    with pytest.raises(Problem) as refused:
        _ = [c async for c in part]
    assert refused.value.status == 400


async def test_a_truncated_body_is_refused() -> None:
    data = body(file("a.pdf", "x" * 100))[:-20]
    _, part = await StreamedForm(f"multipart/form-data; boundary={B}", pieces(data)).read_head()
    assert part is not None
    with pytest.raises(Problem):
        _ = [c async for c in part]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", (0, 9)),
        ("bytes=5-", (5, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=90-500", (90, 99)),
        ("bytes=0-1,5-6", None),  # several ranges: whole body
        ("items=0-1", None),
    ],
)
def test_range_header(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=200-300"])
def test_range_past_the_end_is_416(header: str) -> None:
    with pytest.raises(Problem) as refused:
        parse_range(header, 100)
    assert refused.value.status == 416
    assert refused.value.headers["Content-Range"] == "bytes */100"
