"""How numbers, periods and templates read in Chinese explanations."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from libs.vocab import VALUE_LABELS

__all__ = [
    "Template",
    "format_month_day",
    "format_period",
    "format_ratio",
    "format_wan",
    "parse_month_day",
    "parse_period",
]

_PERIOD = re.compile(r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_MONTH_DAY = re.compile(r"^--(\d{2})-(\d{2})$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def format_wan(amount: int) -> str:
    """Render integer yuan as 万元 without trailing zeros: 600000 → ``60万元``."""
    wan = (Decimal(amount) / 10000).normalize()
    return f"{wan:f}万元"


def format_ratio(value: str | float | Decimal) -> str:
    """Render a ratio as a percentage: ``0.15`` → ``15%``."""
    pct = (Decimal(str(value)) * 100).normalize()
    return f"{pct:f}%"


def parse_period(text: str) -> tuple[int, int, int, int] | None:
    """Parse an ISO 8601 date period (``P1Y6M``) into (years, months, weeks, days)."""
    m = _PERIOD.match(text)
    if m is None:
        return None
    y, mo, w, d = (int(g) if g else 0 for g in m.groups())
    return y, mo, w, d


def format_period(text: str, *, working_days: bool = False) -> str:
    """Render an ISO period in Chinese: ``P2Y`` → ``2年``, ``P10D`` → ``10日``."""
    parts = parse_period(text)
    if parts is None:
        return text
    y, mo, w, d = parts
    out = ""
    if y:
        out += f"{y}年"
    if mo:
        out += f"{mo}个月"
    if w:
        out += f"{w}周"
    if d:
        out += f"{d}个工作日" if working_days else f"{d}日"
    return out or "0日"


def parse_month_day(text: str) -> tuple[int, int] | None:
    """Parse ``--MM-DD`` into (month, day), checking the day exists (29 Feb allowed)."""
    m = _MONTH_DAY.match(text)
    if m is None:
        return None
    month, day = int(m.group(1)), int(m.group(2))
    try:
        date(2000, month, day)  # a leap year, so --02-29 is a valid cut-off
    except ValueError:
        return None
    return month, day


def format_month_day(text: str) -> str:
    """Render ``--11-30`` as ``11月30日``."""
    parsed = parse_month_day(text)
    if parsed is None:
        return text
    return f"{parsed[0]}月{parsed[1]}日"


def format_value(value: Any, kind: str) -> str:
    """Render a fact or parameter value by its type (amount, ratio, period, ...)."""
    if value is None:
        return "无"
    if kind == "amount":
        return format_wan(int(value))
    if kind == "ratio":
        return format_ratio(value)
    if kind == "period":
        return format_period(str(value))
    if kind == "month_day":
        return format_month_day(str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(VALUE_LABELS.get(str(v), str(v)) for v in value)
    if isinstance(value, Mapping):
        return str(value.get("id", value))
    return VALUE_LABELS.get(str(value), str(value))


# A template part: literal text, or the name of a fact (rendered at evaluation)
# or the authority marker.
AUTHORITY = "\x00authority"


class Template:
    """An explanation template compiled once at load.

    Parameters and the document title are constant per pack, so they are
    rendered at load; only facts and the authority remain for evaluation.
    """

    __slots__ = ("facts", "parts", "source")

    def __init__(self, source: str, parts: Sequence[tuple[bool, str]], facts: Sequence[str]):
        self.source = source
        self.parts: tuple[tuple[bool, str], ...] = tuple(parts)
        self.facts: tuple[str, ...] = tuple(facts)

    @classmethod
    def compile(
        cls,
        source: str,
        *,
        constants: Mapping[str, str],
        fact_names: Mapping[str, str],
        on_unknown: Callable[[str], None],
    ) -> Template:
        """Split ``source`` at its ``{placeholders}``; constants are substituted now."""
        parts: list[tuple[bool, str]] = []
        facts: list[str] = []
        pos = 0
        for m in _PLACEHOLDER.finditer(source):
            if m.start() > pos:
                parts.append((False, source[pos : m.start()]))
            name = m.group(1)
            if name == "authority":
                parts.append((True, AUTHORITY))
            elif name in constants:
                parts.append((False, constants[name]))
            elif name in fact_names:
                parts.append((True, name))
                facts.append(name)
            else:
                on_unknown(name)
            pos = m.end()
        if pos < len(source):
            parts.append((False, source[pos:]))
        # Merge adjacent literals so rendering joins as few strings as possible.
        merged: list[tuple[bool, str]] = []
        for dynamic, text in parts:
            if merged and not dynamic and not merged[-1][0]:
                merged[-1] = (False, merged[-1][1] + text)
            else:
                merged.append((dynamic, text))
        return cls(source, merged, facts)

    def render(self, values: Mapping[str, str], authority: str | None) -> str:
        """Fill the fact placeholders from pre-rendered ``values``."""
        out: list[str] = []
        for dynamic, text in self.parts:
            if not dynamic:
                out.append(text)
            elif text == AUTHORITY:
                out.append(authority or "")
            else:
                out.append(values[text])
        return "".join(out)
