"""Which deadlines a project's decision sets, and on which day each falls.

The decision's ``time_limits`` say everything: the code, the lifecycle state
the period runs from (``from``: ``completed`` = 建成, ``accepted`` = 通过验收,
``in_operation`` = 投入使用, ``implementing`` = 建设期), the period (ISO 8601, or a
``--MM-DD`` cut-off) and the article. A limit is a deadline someone must meet
when its code ends in ``_due`` (vocabulary.md: ``acceptance_due``,
``self_evaluation_due``, ``standard_due``, ``performance_report_due``); other
limits are bounds, not duties (``free_maintenance_min`` 免费运维期下限,
``maintenance_cost_cap``) and are not watched here. ``approval_validity`` and
the plan and budget-year cut-offs belong to the approval and budget services.

Dates are counted by :mod:`libs.common.deadlines` (民法典 第二百零一条, 第二百零三条;
工作日 with 调休).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from libs.common.deadlines import deadline_after, next_month_day

__all__ = ["ANCHORS", "MET_BY", "REMIND_BEFORE", "Planned", "plan", "status_on"]

#: The lifecycle states this service sees happen (the anchors it can count from).
ANCHORS: Final[frozenset[str]] = frozenset(
    {"implementing", "completed", "accepted", "in_operation"}
)

#: What meets each deadline (the platform's vocabulary, not a rule of any pack).
MET_BY: Final[Mapping[str, str]] = {
    "acceptance_due": "acceptance",  # an acceptance that passed
    "self_evaluation_due": "self_evaluation",  # the self-evaluation report
    "performance_report_due": "performance_evaluation",  # the performance report
    "standard_due": "standard",  # the published standard
}

#: Reminders go out this long before the last day. No regulation fixes it; it is
#: the platform's notice period (docs/acceptance.md).
REMIND_BEFORE: Final[timedelta] = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Planned:
    """One deadline of one project: the last day and what it rests on."""

    code: str
    anchor: str
    anchor_on: date
    due_on: date
    calendar_known: bool
    period: str | None
    month_day: str | None
    working_days: bool
    article: str
    explanation: str | None


def plan(time_limits: Iterable[Mapping[str, Any]], anchor: str, on: date) -> list[Planned]:
    """The deadlines that start when the project enters ``anchor`` on ``on``."""
    out: list[Planned] = []
    for limit in time_limits:
        code = str(limit.get("code"))
        if limit.get("from") != anchor or not code.endswith("_due"):
            continue
        period, month_day = limit.get("period"), limit.get("date")
        working = bool(limit.get("working_days"))
        if period:
            counted = deadline_after(on, str(period), working_days=working)
            due, known = counted.due, counted.calendar_known
        elif month_day:
            # 建设期内每年年底前: the first cut-off after the period began (the same day counts:
            # 第二百零一条 leaves the starting day out of periods, not out of cut-off dates).
            due, known = next_month_day(on, str(month_day)), True
        else:
            continue
        out.append(
            Planned(
                code=code,
                anchor=anchor,
                anchor_on=on,
                due_on=due,
                calendar_known=known,
                period=str(period) if period else None,
                month_day=str(month_day) if month_day and not period else None,
                working_days=working,
                article=str(limit.get("article")),
                explanation=limit.get("explanation"),
            )
        )
    return out


def status_on(due_on: date, today: date, *, reminded: bool, overdue: bool) -> str | None:
    """What the sweep owes a still-open deadline on ``today``: "reminder", "overdue" or None.

    Each is sent once. A deadline first seen after its last day gets only the
    overdue notice (a reminder for a day already past would mislead).
    """
    if today > due_on:
        return None if overdue else "overdue"
    if not reminded and today >= due_on - REMIND_BEFORE:
        return "reminder"
    return None
