"""The streaming multipart parser and the Range header, without a server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from libs.common.errors import Problem
from services.archive.documents.upload import StreamedForm
from services.archive.http_range import content_disposition, parse_range, safe_media_type

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


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=" + "9" * 5000 + "-", 416),
        ("bytes=0-" + "9" * 5000, (0, 99)),
        ("bytes=-" + "9" * 5000, (0, 99)),
        ("bytes=" + "0" * 4999 + "5-9", (5, 9)),
    ],
)
def test_a_range_with_thousands_of_digits_is_416_or_clamped_never_500(
    header: str, expected: int | tuple[int, int]
) -> None:
    if expected == 416:
        with pytest.raises(Problem) as refused:
            parse_range(header, 100)
        assert refused.value.status == 416
    else:
        assert parse_range(header, 100) == expected


@pytest.mark.parametrize(
    "part_type",
    ["application/pdf\nX-Injected: 1", "application/" + "x" * 300, "pdf", "application/pdf\x00"],
)
async def test_a_bad_part_content_type_is_refused_before_the_file(part_type: str) -> None:
    data = (
        f'--{B}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        f"Content-Type: {part_type}\r\n\r\n%PDF-1.4\r\n--{B}--\r\n"
    ).encode()
    with pytest.raises(Problem) as refused:
        await StreamedForm(f"multipart/form-data; boundary={B}", pieces(data)).read_head()
    assert refused.value.status == 400
    assert "Content-Type" in (refused.value.detail or "")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("合同\u2028终稿.pdf", "合同终稿.pdf"),
        ("合同\u0085终稿.pdf", "合同终稿.pdf"),
        ("合同\u202efdp.exe", "合同fdp.exe"),
        ("\u2066报告\u2069.pdf", "报告.pdf"),
    ],
)
async def test_file_names_lose_line_breaks_and_direction_overrides(sent: str, kept: str) -> None:
    data = body(file(sent, "%PDF-1.4"))
    _, part = await StreamedForm(f"multipart/form-data; boundary={B}", pieces(data)).read_head()
    assert part is not None and part.filename == kept


def test_a_stored_content_type_with_a_line_feed_is_served_as_octet_stream() -> None:
    # Versions stored before issue 16 may hold one; the download must not 500.
    assert safe_media_type("application/pdf\nX-Injected: 1") == "application/octet-stream"
    assert safe_media_type("application/" + "p" * 300) == "application/octet-stream"
    assert safe_media_type("application/pdf") == "application/pdf"
    assert "\u2028" not in content_disposition("合同\u2028终稿.pdf")
