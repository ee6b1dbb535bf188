"""Legal date arithmetic for the deadlines the regulations set.

How a period is counted is itself law, so it is written down here once:

- 《中华人民共和国民法典》第二百零一条: a period counted in years, months or days
  starts on the day after the event ("开始的当日不计入，自下一日开始计算"); a
  period of N months therefore ends on the day of the N-th month that bears
  the same number as the event's day, and when that month has no such day
  (31 January + 1 month), on the month's last day.
- 第二百零三条: when the last day is a statutory holiday, the day after the
  holiday ends is the last day ("期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日").
- 工作日 (working days) follow the State Council's published holiday
  arrangement, including the weekend days made working days (调休), from
  `chinese-calendar`. The arrangement is published a year at a time; for a year
  it does not yet cover, only weekends count as rest days and the result says
  so (``calendar_known=False``), so a person can be told the date is provisional.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "Deadline",
    "PeriodError",
    "add_period",
    "add_working_days",
    "deadline_after",
    "is_working_day",
    "next_month_day",
    "parse_period",
    "today_in_china",
]

# Dates the regulations count are local dates; times are stored in UTC.
CHINA = ZoneInfo("Asia/Shanghai")

_PERIOD = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?$")
_MONTH_DAY = re.compile(r"^--(?P<m>\d{2})-(?P<d>\d{2})$")


def today_in_china() -> date:
    """Today's date in China (Asia/Shanghai), whatever the server's time zone."""
    return datetime.now(CHINA).date()


class PeriodError(ValueError):
    """A period or month-day that is not ISO 8601 as the policy packs write it."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """A computed last day, and whether the holiday calendar for its year was known."""

    due: date
    calendar_known: bool


def parse_period(period: str) -> tuple[int, int, int]:
    """``P1Y6M``, ``P12M``, ``P2W``, ``P10D`` → (years, months, days); refuses time parts."""
    match = _PERIOD.match(period)
    if not match or period == "P":
        raise PeriodError(f"not an ISO 8601 date period: {period!r}")
    years = int(match["y"] or 0)
    months = int(match["m"] or 0)
    days = int(match["d"] or 0) + 7 * int(match["w"] or 0)
    return years, months, days


def add_period(start: date, period: str) -> date:
    """The day a period of ``period`` counted from ``start`` ends (民法典 第二百零一条).

    Months are calendar months; the end day keeps ``start``'s day number,
    clamped to the month's length. No holiday adjustment: see
    :func:`deadline_after`.
    """
    years, months, days = parse_period(period)
    total = start.month - 1 + months + 12 * years
    year, month = start.year + total // 12, total % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) + timedelta(days=days)


def _calendar_day(day: date) -> tuple[bool, bool]:
    """(is a working day, the official calendar knows this year)."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        # The year's arrangement is not published (or not in the package yet).
        return day.weekday() < 5, False


def is_working_day(day: date) -> bool:
    """True on a 工作日 (including 调休 Saturdays); weekends only where the year is unknown."""
    return _calendar_day(day)[0]


def add_working_days(start: date, count: int) -> Deadline:
    """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day, known = start, True
    remaining = count
    while remaining:
        day += timedelta(days=1)
        working, year_known = _calendar_day(day)
        known = known and year_known
        if working:
            remaining -= 1
    return Deadline(day, known)


def deadline_after(start: date, period: str, *, working_days: bool = False) -> Deadline:
    """The last day of a period the regulations set, counted from the event on ``start``.

    ``working_days`` counts ``PnD`` in 工作日. Otherwise the calendar end day,
    moved past a statutory holiday to the next working day (民法典 第二百零三条).
    Weekends are moved too: in Chinese practice 法定休假日 covers the weekly rest
    days as well as the festivals, and no office receives a filing on them.
    """
    if working_days:
        years, months, days = parse_period(period)
        if years or months:
            raise PeriodError(f"working-day periods are counted in days only: {period!r}")
        return add_working_days(start, days)
    due = add_period(start, period)
    working, known = _calendar_day(due)
    while not working:
        due += timedelta(days=1)
        working, year_known = _calendar_day(due)
        known = known and year_known
    return Deadline(due, known)


def next_month_day(after: date, month_day: str) -> date:
    """The first ``--MM-DD`` on or after ``after`` (e.g. the 9月底 cut-off of the current year)."""
    match = _MONTH_DAY.match(month_day)
    if not match:
        raise PeriodError(f"not an ISO 8601 month-day: {month_day!r}")
    month, day = int(match["m"]), int(match["d"])
    for year in (after.year, after.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # --02-29 in a common year: the month's last day
            candidate = date(year, month, calendar.monthrange(year, month)[1])
        if candidate >= after:
            return candidate
    raise AssertionError("unreachable: next year's date is always after")
