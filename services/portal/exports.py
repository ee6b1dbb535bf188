"""Lists as Excel workbooks (.xlsx, openpyxl): Chinese headers, amounts in 元 as numbers
and in 万元 as a formatted number, one sheet per list (issue 18).

A sheet is a list of :class:`Column`: a header and how to read a row; an amount
column gives two columns (元 and 万元). Nothing here calls a service: the pages
module (``pages/exports.py``) fetches the rows the page itself shows.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YUAN_FORMAT = "#,##0"
# The 万元 figure as the documents write it: exact to the yuan (four decimals at most).
WAN_FORMAT = '#,##0.####"万元"'


@dataclass(frozen=True)
class Column:
    """One column of a sheet; ``amount`` makes it two: 元 (integer) and 万元 (formatted)."""

    header: str
    value: Callable[[Any], Any]
    amount: bool = False


def headers(columns: Sequence[Column]) -> list[str]:
    """The sheet's header row: an amount column reads “X（元）”, “X（万元）”."""
    out: list[str] = []
    for c in columns:
        out.extend([f"{c.header}（元）", f"{c.header}（万元）"] if c.amount else [c.header])
    return out


@dataclass(frozen=True)
class Sheet:
    """One table of the page: its title (the sheet's name), columns and rows."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Any]


def _fill(sheet: Any, columns: Sequence[Column], rows: Iterable[Any]) -> None:
    sheet.append(headers(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        values: list[Any] = []
        for c in columns:
            v = c.value(row)
            if c.amount:
                values.extend([v, None if v is None else v / 10_000])
            else:
                values.append("" if v is None else v)
        sheet.append(values)
    index = 1
    for c in columns:
        if c.amount:
            for offset, fmt in ((0, YUAN_FORMAT), (1, WAN_FORMAT)):
                for (cell,) in sheet.iter_rows(
                    min_row=2, min_col=index + offset, max_col=index + offset
                ):
                    cell.number_format = fmt
            index += 2
        else:
            index += 1
    for i, header in enumerate(headers(columns), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, len(header) * 2 + 4)


def workbook(*sheets: Sheet) -> bytes:
    """The sheets in one .xlsx, each with its header row bold and frozen."""
    book = Workbook()
    book.remove(book.active)
    for s in sheets:
        _fill(book.create_sheet(s.title[:31]), s.columns, s.rows)  # 31: Excel's name limit
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(filename: str, content: bytes) -> Response:
    """The workbook as a download named ``filename`` (RFC 6266 UTF-8 name for Chinese)."""
    return Response(
        content,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"
        },
    )
