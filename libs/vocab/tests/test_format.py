"""Amounts and times as a person reads them, and amounts as a person types them."""

from __future__ import annotations

import datetime as dt

import pytest

from libs.vocab import MAX_AMOUNT, AmountError, format_amount, format_time, format_wan, parse_amount


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (800_000, "80万元（800,000元）"),
        (1_000_000, "100万元（1,000,000元）"),
        (5_000, "0.5万元（5,000元）"),
        (12_345, "1.2345万元（12,345元）"),
        (1, "0.0001万元（1元）"),
        (123_456_789, "12,345.6789万元（123,456,789元）"),
        (-50_000, "-5万元（-50,000元）"),
        (0, "0元"),
        (None, "—"),
    ],
)
def test_an_amount_reads_in_wan_yuan_with_the_exact_yuan_beside(
    amount: int | None, text: str
) -> None:
    assert format_amount(amount) == text


def test_the_short_form_keeps_only_the_wan() -> None:
    assert format_wan(780_000) == "78万元"
    assert format_wan(None) == "—"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2026-12-04T13:04:15.776290+00:00", "2026-12-04 21:04"),
        ("2026-12-04T13:04:59Z", "2026-12-04 21:04"),
        ("2026-12-04T13:04:15", "2026-12-04 21:04"),  # no zone: the databases' UTC
        ("2026-12-04T23:30:00+08:00", "2026-12-04 23:30"),
        ("2026-12-31T16:00:00+00:00", "2027-01-01 00:00"),  # the year turns in Beijing
        (dt.datetime(2026, 12, 4, 13, 4, tzinfo=dt.UTC), "2026-12-04 21:04"),
        ("2026-12-04", "2026-12-04"),  # a date is not a moment: no shift
        (dt.date(2026, 12, 4), "2026-12-04"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_a_time_reads_in_beijing_time_to_the_minute(
    value: dt.datetime | dt.date | str | None, text: str
) -> None:
    assert format_time(value) == text


def test_text_that_is_no_time_is_never_shown_as_it_came(caplog: pytest.LogCaptureFixture) -> None:
    assert format_time("approval.policy") == "—"
    assert "approval.policy" in caplog.text


@pytest.mark.parametrize(
    ("typed", "yuan"),
    [
        ("80万", 800_000),
        ("80万元", 800_000),
        ("800,000", 800_000),
        ("800000", 800_000),
        ("800000元", 800_000),
        ("80 万元", 800_000),
        (" 800 000 ", 800_000),
        ("0.5万", 5_000),
        ("0.0001万", 1),
        ("1,000,000", 1_000_000),
        ("1,000,000元", 1_000_000),
        ("800000.00", 800_000),
        ("８０万", 800_000),  # full-width digits from a Chinese input method
        ("８００，０００", 800_000),
        ("¥800,000", 800_000),
        ("1.2亿", 120_000_000),
        ("0", 0),
    ],
)
def test_an_amount_is_understood_in_yuan_or_wan(typed: str, yuan: int) -> None:
    assert parse_amount(typed) == yuan


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "请填写总投资"),
        ("   ", "请填写总投资"),
        ("八十万", "请用阿拉伯数字填写"),
        ("捌拾万元", "请用阿拉伯数字填写"),
        ("-5", "不能为负数"),
        ("-80万", "不能为负数"),
        ("负80万", "不能为负数"),
        ("1,00,000", "千分位逗号位置不对"),
        ("80,5", "千分位逗号位置不对"),  # a decimal comma, or a typo: ambiguous
        ("1,0000", "千分位逗号位置不对"),
        ("80万5000", "只能以元或万元填写一个数"),
        ("80千", "只能以元或万元填写一个数"),
        ("80美元", "只能以元或万元填写一个数"),
        ("80.5.1", "只能以元或万元填写一个数"),
        ("800000.5", "须精确到元"),
        ("0.00001万", "最多4位小数"),
        ("abc", "只能以元或万元填写一个数"),
    ],
)
def test_an_unclear_amount_is_refused_in_chinese_naming_the_field(typed: str, says: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(typed, field="总投资")
    assert says in caught.value.message
    assert "总投资" in caught.value.message
    assert str(caught.value) == caught.value.message


def test_an_amount_above_what_a_service_accepts_is_refused() -> None:
    assert parse_amount("100000亿") == MAX_AMOUNT
    with pytest.raises(AmountError, match="超出可登记的范围"):
        parse_amount("100001亿")
    with pytest.raises(AmountError, match="超出"):
        parse_amount("2万", maximum=10_000)


def test_what_is_shown_is_read_back_as_the_same_amount() -> None:
    for amount in (0, 1, 9_999, 10_000, 805_000, 123_456_789):
        wan = format_amount(amount).split("（")[0]
        assert parse_amount(wan) == amount
