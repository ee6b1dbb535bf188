"""The workbook of an export: Chinese headers, 元 as integers, 万元 as a formatted number."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from services.portal.exports import WAN_FORMAT, YUAN_FORMAT, Column, Sheet, workbook

ROWS = [
    {"name": "平台A", "amount": 800_000},
    {"name": "平台B", "amount": 123_456},
    {"name": "C", "amount": None},
]


def test_an_amount_column_becomes_yuan_and_wan_with_their_formats() -> None:
    data = workbook(
        Sheet(
            "项目",
            [
                Column("项目名称", lambda r: r["name"]),
                Column("总投资", lambda r: r["amount"], amount=True),
            ],
            ROWS,
        ),
        Sheet("空表", [Column("辖区", lambda r: r)], []),
    )
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["项目", "空表"]
    sheet = book["项目"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["项目名称", "总投资（元）", "总投资（万元）"]
    assert rows[1] == ["平台A", 800_000, 80]
    assert rows[2] == ["平台B", 123_456, 12.3456]
    assert rows[3] == ["C", None, None]  # no amount: empty cells, never 0
    assert sheet["B2"].number_format == YUAN_FORMAT and sheet["C2"].number_format == WAN_FORMAT
    assert sheet.freeze_panes == "A2"
    assert [list(r) for r in book["空表"].iter_rows(values_only=True)] == [["辖区"]]
