"""Deadlines counted as the law counts them (民法典 第二百零一条、第二百零三条) on the Chinese calendar."""

from __future__ import annotations

from datetime import date

import pytest

from libs.common.deadlines import (
    PeriodError,
    add_period,
    add_working_days,
    deadline_after,
    is_working_day,
    next_month_day,
    parse_period,
)


@pytest.mark.parametrize(
    ("start", "period", "end"),
    [
        (date(2025, 3, 15), "P6M", date(2025, 9, 15)),  # 莱州 第二十三条: 建成后半年内
        (date(2025, 3, 15), "P12M", date(2026, 3, 15)),  # 郁南 第二十三条: 验收后12个月内
        (date(2025, 1, 31), "P1M", date(2025, 2, 28)),  # no 31 February: the month's last day
        (date(2024, 1, 31), "P1M", date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), "P2Y", date(2026, 2, 28)),  # 郁南 第十二条: 审批意见有效期两年
        (date(2025, 8, 31), "P6M", date(2026, 2, 28)),
        (date(2025, 12, 31), "P1Y", date(2026, 12, 31)),
        (date(2025, 5, 20), "P10D", date(2025, 5, 30)),
        (date(2025, 5, 20), "P1Y2M3D", date(2026, 7, 23)),
    ],
)
def test_calendar_periods_end_on_the_same_numbered_day(start: date, period: str, end: date) -> None:
    assert add_period(start, period) == end


def test_a_deadline_on_national_day_moves_past_the_holiday() -> None:
    # 2025-04-01 + 6 months = 2025-10-01, inside the 国庆/中秋 holiday (10-01 to 10-08):
    # the last day becomes the first day after it (第二百零三条).
    result = deadline_after(date(2025, 4, 1), "P6M")
    assert result.due == date(2025, 10, 9) and result.calendar_known


def test_a_deadline_on_a_weekend_moves_to_monday() -> None:
    # 2025-03-08 + 6 months = 2025-09-08 is a Monday; 2025-03-06 + 6M = 2025-09-06, a Saturday.
    assert deadline_after(date(2025, 3, 6), "P6M").due == date(2025, 9, 8)


def test_working_days_skip_holidays_and_count_make_up_saturdays() -> None:
    # 2025-09-28 (Sunday) was a 调休 working day before the National Day holiday.
    assert is_working_day(date(2025, 9, 28)) and not is_working_day(date(2025, 10, 3))
    assert add_working_days(date(2025, 9, 26), 1).due == date(2025, 9, 28)
    assert add_working_days(date(2025, 9, 30), 1).due == date(2025, 10, 9)
    assert deadline_after(date(2025, 9, 30), "P1D", working_days=True).due == date(2025, 10, 9)


def test_a_year_without_a_published_holiday_calendar_is_flagged_provisional() -> None:
    result = deadline_after(date(2026, 11, 23), "P12M")
    assert result.due == date(2027, 11, 23)
    assert result.calendar_known is False
    assert add_working_days(date(2026, 12, 30), 5).calendar_known is False


def test_calendar_cut_offs_are_the_next_occurrence() -> None:
    # 坡头 第十四条: 下年度项目原则上应于本年度9月底前完成立项.
    assert next_month_day(date(2025, 3, 1), "--09-30") == date(2025, 9, 30)
    assert next_month_day(date(2025, 9, 30), "--09-30") == date(2025, 9, 30)
    assert next_month_day(date(2025, 10, 1), "--09-30") == date(2026, 9, 30)
    assert next_month_day(date(2025, 3, 1), "--02-29") == date(2026, 2, 28)


@pytest.mark.parametrize("bad", ["", "P", "6M", "PT6H", "P-1M", "P1.5Y"])
def test_malformed_periods_are_refused(bad: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(bad)


def test_working_day_periods_must_be_in_days() -> None:
    with pytest.raises(PeriodError):
        deadline_after(date(2025, 1, 1), "P1M", working_days=True)
    with pytest.raises(PeriodError):
        next_month_day(date(2025, 1, 1), "09-30")
