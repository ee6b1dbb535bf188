"""Load-time checks that the schema cannot express: citations, bands, values, overlaps.

Each check raises :class:`PackError` naming the pack, the item and the problem,
so that a pack that would judge wrongly never loads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from libs.policy.errors import PackError
from libs.policy.model import Band, Parameter, RouteTable
from libs.policy.render import parse_month_day, parse_period

__all__ = [
    "IntBand",
    "SourceText",
    "check_citation",
    "check_validity_overlaps",
    "cn_number",
    "lint_bands",
    "parameter_value",
]

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUM = r"[零〇一二两三四五六七八九十百千\d]+"
_HEADING = re.compile(rf"^[ \t\u3000]*第({_NUM})条", re.MULTILINE)
_CITE = re.compile(rf"第[（(]?({_NUM})[)）]?(条|款|项)")


def cn_number(text: str) -> int:
    """Convert a Chinese (or Arabic) numeral as used in 第N条: 二十三 → 23, 一百零二 → 102."""
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            # 十 alone means 10 (十二 = 12): a missing leading digit is one.
            total += (digit or 1) * _CN_UNITS[ch]
            digit = 0
        else:
            raise ValueError(text)
    return total + digit


class SourceText:
    """A regulation's text, split into its articles (第N条 headings at a line start)."""

    def __init__(self, text: str) -> None:
        self.articles: dict[int, str] = {}
        heads = list(_HEADING.finditer(text))
        for i, m in enumerate(heads):
            n = cn_number(m.group(1))
            end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
            # The first heading wins: a later 第N条 would be a quoted or annexed text.
            self.articles.setdefault(n, text[m.start() : end])

    def has_item(self, article: int, item: int) -> bool:
        """Whether article ``article`` enumerates item (N), however it is written."""
        body = self.articles.get(article, "")
        cn = _to_cn(item)
        return any(mark in body for mark in (f"（{cn}）", f"({cn})", f"{cn}、", f"{item}."))


def _to_cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


def check_citation(pack: str, where: str, article: str, source: SourceText) -> None:
    """Refuse a citation that names no 第N条, or an article/item the source lacks."""
    current: int | None = None
    for m in _CITE.finditer(article):
        n = cn_number(m.group(1))
        kind = m.group(2)
        if kind == "条":
            if n not in source.articles:
                raise PackError(pack, where, f"cites {m.group(0)} which is not in the source text")
            current = n
        elif kind == "项" and current is not None and not source.has_item(current, n):
            raise PackError(
                pack, where, f"cites {article}: item ({_to_cn(n)}) is not in article {current}"
            )
    if current is None:
        raise PackError(pack, where, f"article {article!r} does not cite an article (第N条)")


@dataclass(frozen=True, slots=True)
class IntBand:
    """A band as an inclusive integer interval; ``hi`` None is unbounded."""

    lo: int
    hi: int | None
    index: int
    band: Band


def _bound(
    pack: str,
    where: str,
    value: int | str | None,
    params: Mapping[str, Any],
    kinds: Mapping[str, str],
) -> int | None:
    if value is None or isinstance(value, int):
        return value
    if value not in params:
        raise PackError(pack, where, f"bound names unknown parameter {value!r}")
    if kinds[value] not in ("amount", "int"):
        raise PackError(
            pack, where, f"bound parameter {value!r} is a {kinds[value]}, not an amount"
        )
    bound: int = params[value]
    return bound


def lint_bands(
    pack: str,
    table: RouteTable,
    params: Mapping[str, Any],
    kinds: Mapping[str, str],
    *,
    may_vanish: frozenset[str] = frozenset(),
) -> list[IntBand]:
    """Resolve a table's bounds and check that its bands partition [0, ∞) exactly.

    A band bounded by a parameter of ``may_vanish`` (an authority-set parameter
    still at its stand-in value) may be empty: it is dropped, not refused, since
    "below a limit nobody has set" holds no amount.
    """
    where = f"routes.{table.id}"
    bands: list[IntBand] = []
    for i, band in enumerate(table.bands):
        bw = f"{where}.bands[{i}]"
        gte = _bound(pack, bw, band.gte, params, kinds)
        gt = _bound(pack, bw, band.gt, params, kinds)
        lte = _bound(pack, bw, band.lte, params, kinds)
        lt = _bound(pack, bw, band.lt, params, kinds)
        if gte is not None and gt is not None:
            raise PackError(pack, bw, "has both gte and gt")
        if lte is not None and lt is not None:
            raise PackError(pack, bw, "has both lte and lt")
        lo = gte if gte is not None else (gt + 1 if gt is not None else 0)
        hi = lte if lte is not None else (lt - 1 if lt is not None else None)
        if lo < 0:
            lo = 0
        if hi is not None and hi < lo:
            if {band.gte, band.gt, band.lte, band.lt} & may_vanish:
                continue
            raise PackError(pack, bw, f"is empty (from {lo} to {hi})")
        bands.append(IntBand(lo, hi, i, band))
    bands.sort(key=lambda b: b.lo)
    expected = 0
    previous: IntBand | None = None
    for b in bands:
        if previous is not None and previous.hi is None:
            raise PackError(
                pack, where, f"overlap from {b.lo} upwards (bands {previous.index} and {b.index})"
            )
        if b.lo > expected:
            raise PackError(pack, where, f"gap between {expected} and {b.lo - 1}")
        if b.lo < expected and previous is not None:
            top = min(expected - 1, b.hi) if b.hi is not None else expected - 1
            raise PackError(
                pack,
                where,
                f"overlap between {b.lo} and {top} (bands {previous.index} and {b.index})",
            )
        expected = -1 if b.hi is None else b.hi + 1
        previous = b
    if previous is not None and previous.hi is not None:
        raise PackError(pack, where, f"gap from {previous.hi + 1} upwards")
    return bands


# A parameter type whose value is used as written: does the value fit, and what the
# pack's author reads when it does not. A ratio is read as a decimal (below).
_AS_WRITTEN: dict[str, tuple[Callable[[Any], bool], str]] = {
    "amount": (lambda v: type(v) is int and v >= 0, "amount must be a non-negative integer (yuan)"),
    "int": (lambda v: type(v) is int, "int expected"),
    "period": (
        lambda v: isinstance(v, str) and parse_period(v) is not None,
        "period must be ISO 8601 like P6M or P2Y",
    ),
    "month_day": (
        lambda v: isinstance(v, str) and parse_month_day(v) is not None,
        "month_day must be --MM-DD",
    ),
    "bool": (lambda v: type(v) is bool, "bool expected"),
    "string": (lambda v: isinstance(v, str), "string expected"),
}


def parameter_value(pack: str, name: str, p: Parameter) -> Any:
    """Check a parameter's value against its type; return the value rules compute with."""
    where = f"parameters.{name}"
    # An authority-set parameter judges by its stand-in until someone sets it.
    v = p.unset_value if p.set_by is not None and p.value is None else p.value
    if p.type == "ratio":
        return _ratio(pack, where, v)
    fits, expected = _AS_WRITTEN[p.type]
    if not fits(v):
        raise PackError(pack, where, f"{expected}, got {v!r}")
    return v


def _ratio(pack: str, where: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        raise PackError(pack, where, f"ratio must be a decimal string, got {v!r}")
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        raise PackError(pack, where, f"ratio must be a decimal string, got {v!r}") from None
    if not d.is_finite() or d < 0:
        raise PackError(pack, where, f"ratio must be a non-negative decimal, got {v!r}")
    return float(d)


def _overlaps(a: tuple[date | None, date | None], b: tuple[date | None, date | None]) -> bool:
    lo = max(a[0] or date.min, b[0] or date.min)
    hi = min(a[1] or date.max, b[1] or date.max)
    return lo < hi


def check_validity_overlaps(
    packs: Iterable[tuple[str, str, str, date | None, date | None]],
) -> None:
    """Refuse two versions of one tenant with the same status covering the same day.

    ``packs`` yields (id, tenant, status, effective_from, effective_to). A draft
    may overlap an in-force version (the in-force one wins), never another draft.
    """
    seen: dict[tuple[str, str], list[tuple[str, date | None, date | None]]] = {}
    for pid, tenant, status, start, end in packs:
        if status == "repealed":
            continue
        group = seen.setdefault((tenant, status), [])
        for other, ostart, oend in group:
            if _overlaps((start, end), (ostart, oend)):
                raise PackError(pid, "validity", f"overlaps {other} ({status}) for tenant {tenant}")
        group.append((pid, start, end))


def check_unique_ids(pack: str, section: str, ids: Sequence[str]) -> None:
    """Refuse two rules of one section with the same id."""
    seen: set[str] = set()
    for rid in ids:
        if rid in seen:
            raise PackError(pack, f"{section}.{rid}", "duplicate id")
        seen.add(rid)
