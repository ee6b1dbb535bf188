"""Dates as GB/T 9704-2012 writes them."""

from __future__ import annotations

from datetime import date


def document_date(day: date) -> str:
    """成文日期 and 印发日期: ``2026年12月4日``.

    GB/T 9704-2012 7.3.5.1: "成文日期中的数字用阿拉伯数字将年、月、日标全，年份应标全称，
    月、日不编虚位（即1不编为01）". (The 1999 edition wrote 二〇〇六年; 2012 changed it.)
    """
    return f"{day.year}年{day.month}月{day.day}日"
