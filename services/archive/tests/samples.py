"""Small sample files for the 四性检测 tests: a real PDF, a real OFD, and broken ones."""

from __future__ import annotations

import base64
import io
import struct
import zipfile

import pypdf

from libs.common.testing.clamd import EICAR

__all__ = ["EICAR", "ofd", "ofd_bomb", "pdf", "png", "xml_entities", "xml_long_attribute"]


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


# bzip2 of 1 GiB of zero bytes (785 bytes): the core of the 1.7 KB OFD bomb.
_GIB_OF_ZEROS_BZ2 = base64.b64decode(
    "QlpoOTFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakK"
    "gJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCX"
    "MUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFB"
    "WSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkm"
    "U1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZ"
    "Dgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J"
    "4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLf"
    "AV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFf"
    "jkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45A"
    "AMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADA"
    "AAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAA"
    "CCAAMIBNRkKgJakKgJcxQVkmU1lIfF/JAIpSyADAAAAEAAggADDMBSmmkSJDYUSJDxdyRThQkPaI5AI="
)
_GIB_OF_ZEROS_CRC = 0x5B64C2B0


def ofd_bomb() -> bytes:
    """An OFD whose ``OFD.xml`` is 1 GiB once decompressed, from under 2 KB (bzip2 member).

    Written by hand: zipfile cannot store data compressed elsewhere. Before issue
    16, 四性检测 ran ``testzip()`` then ``zf.read("OFD.xml")`` — 1 GiB in memory.
    """
    name = b"OFD.xml"
    data = _GIB_OF_ZEROS_BZ2
    size = 1 << 30
    # version 46 (bzip2), method 12 (bzip2)
    local = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        46,
        0,
        12,
        0,
        0,
        _GIB_OF_ZEROS_CRC,
        len(data),
        size,
        len(name),
        0,
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        46,
        46,
        0,
        12,
        0,
        0,
        _GIB_OF_ZEROS_CRC,
        len(data),
        size,
        len(name),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    body = local + name + data
    directory = central + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(directory), len(body), 0)
    return body + directory + end


def xml_long_attribute(size: int) -> bytes:
    """XML with one attribute of ``size`` bytes (expat 2.5.0, CVE-2023-52425: quadratic re-scan)."""
    return b'<?xml version="1.0"?><r a="' + b"x" * size + b'"/>'


def xml_entities() -> bytes:
    """The billion laughs: nested entity declarations."""
    decls = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    return f'<?xml version="1.0"?><!DOCTYPE r [{decls}]><r>&a9;</r>'.encode()
