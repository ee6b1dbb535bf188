"""Deadlines from the decisions' time limits: month ends, holidays, 调休 and cut-offs."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.acceptance.deadlines.schedule import REMIND_BEFORE, plan, status_on
from services.acceptance.tests.support.decisions import decide


def _due(limits: list[dict[str, Any]], anchor: str, on: date) -> dict[str, date]:
    return {p.code: p.due_on for p in plan(limits, anchor, on)}


def test_yunan_self_evaluation_twelve_months_after_acceptance_on_a_month_end() -> None:
    limits = decide("445322", amount=300_000)["time_limits"]
    # 郁南 第二十三条: 通过验收后12个月内. 2025-08-31 + 12 months = 2026-08-31 (a Monday).
    (planned,) = plan(limits, "accepted", date(2025, 8, 31))
    assert (planned.code, planned.due_on, planned.article) == (
        "self_evaluation_due",
        date(2026, 8, 31),
        "第二十三条",
    )
    assert planned.period == "P12M" and planned.calendar_known
    # Accepted on 29 February: the 29th does not exist a year later, the month's last day ends it.
    assert _due(limits, "accepted", date(2024, 2, 29)) == {"self_evaluation_due": date(2025, 2, 28)}


def test_laizhou_acceptance_six_months_after_completion() -> None:
    limits = decide("370683", amount=6_000_000)["time_limits"]
    # 莱州 第二十三条第二款 项目建成后半年内. 31 August + 6 months: February has no 31st, so
    # 2026-02-28, a Saturday that the 2026 arrangement makes a working day (春节调休): it stays.
    assert _due(limits, "completed", date(2025, 8, 31)) == {"acceptance_due": date(2026, 2, 28)}
    # 4 April + 6 months = 4 October, inside the National Day holiday (1–8 October 2025):
    # the last day moves to the first working day after it (民法典 第二百零三条).
    assert _due(limits, "completed", date(2025, 4, 4)) == {"acceptance_due": date(2025, 10, 9)}
    # A period ending on a Sunday moves to Monday.
    assert _due(limits, "completed", date(2025, 5, 30)) == {"acceptance_due": date(2025, 12, 1)}


def test_laizhou_standard_a_year_after_acceptance_only_for_large_projects() -> None:
    large = decide("370683", amount=6_000_000)["time_limits"]
    small = decide("370683", amount=800_000)["time_limits"]
    # 第十五条: 500万元以上 … 标准发布工作一般不晚于项目验收后1年内完成. free_maintenance_min
    # (第二十九条, also from acceptance) is a lower bound, not a deadline: not planned.
    assert _due(large, "accepted", date(2025, 8, 31)) == {"standard_due": date(2026, 8, 31)}
    assert _due(small, "accepted", date(2025, 8, 31)) == {}
    # 第三十四条: self-evaluation counts from 投入使用, not from acceptance.
    assert _due(large, "in_operation", date(2025, 9, 30)) == {
        "self_evaluation_due": date(2026, 9, 30)
    }
    # 第二十四条: 建设期内每年年底前 — the first year end after construction began.
    assert _due(large, "implementing", date(2025, 3, 1)) == {
        "performance_report_due": date(2025, 12, 31)
    }


def test_chaozhou_sets_no_acceptance_or_evaluation_deadline() -> None:
    limits = decide("445102", amount=800_000)["time_limits"]
    for anchor in ("implementing", "completed", "accepted", "in_operation"):
        assert plan(limits, anchor, date(2025, 8, 31)) == []


def test_unpublished_holiday_year_is_marked_provisional() -> None:
    limits = decide("370683", amount=6_000_000)["time_limits"]
    (planned,) = plan(limits, "completed", date(2031, 3, 3))
    assert planned.due_on == date(2031, 9, 3) and planned.calendar_known is False


@pytest.mark.parametrize(
    ("today", "reminded", "overdue", "owed"),
    [
        (date(2026, 1, 28), False, False, None),  # more than 30 days ahead
        (date(2026, 1, 29), False, False, "reminder"),  # exactly 30 days ahead
        (date(2026, 2, 28), False, False, "reminder"),  # the last day itself is not late
        (date(2026, 2, 28), True, False, None),  # reminded once only
        (date(2026, 3, 1), True, False, "overdue"),
        (date(2026, 3, 1), False, False, "overdue"),  # first seen late: no reminder, overdue
        (date(2026, 3, 9), True, True, None),  # overdue once only
    ],
)
def test_reminder_before_and_overdue_after_once_each(
    today: date, reminded: bool, overdue: bool, owed: str | None
) -> None:
    assert REMIND_BEFORE.days == 30
    assert status_on(date(2026, 2, 28), today, reminded=reminded, overdue=overdue) == owed
