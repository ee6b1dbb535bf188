"""Small sample files for the 四性检测 tests: a real PDF, a real OFD, and broken ones."""

from __future__ import annotations

import io
import zipfile

import pypdf

from libs.common.testing.clamd import EICAR

__all__ = ["EICAR", "ofd", "pdf"]


def pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def ofd(*, with_document: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(
            "OFD.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD">'
            "<ofd:DocBody><ofd:DocInfo><ofd:DocID>x</ofd:DocID></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        if with_document:
            zf.writestr(
                "Doc_0/Document.xml",
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016">'
                '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
                "</ofd:Document>",
            )
            zf.writestr(
                "Doc_0/Pages/Page_0/Content.xml",
                '<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"/>',
            )
    return out.getvalue()


def png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )
