"""How amounts and times read to a person, and how a typed amount is understood.

Amounts are integer yuan everywhere a machine holds them (vocabulary.md
``amount``: 100万 = 1000000); people think in 万元 and type either.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from typing import Final
from zoneinfo import ZoneInfo

__all__ = [
    "BEIJING",
    "MAX_AMOUNT",
    "AmountError",
    "format_amount",
    "format_time",
    "format_wan",
    "parse_amount",
]

log = logging.getLogger(__name__)

BEIJING: Final = ZoneInfo("Asia/Shanghai")
# The largest amount a service accepts (budget's finance contract: 金额 ≤ 10^13 元).
MAX_AMOUNT: Final = 10**13
_YUAN_PER_UNIT: Final[dict[str, int]] = {
    "": 1,
    "元": 1,
    "万": 10_000,
    "万元": 10_000,
    "亿": 100_000_000,
    "亿元": 100_000_000,
}
_AMOUNT = re.compile(r"(?P<int>[0-9][0-9,]*)(?:\.(?P<frac>[0-9]+))?(?P<unit>亿元|亿|万元|万|元)?")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")
_CHINESE_NUMERALS = frozenset("零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟")
_EXAMPLES = "例如“80万”“80万元”“800,000”或“800000”"


class AmountError(ValueError):
    """A typed amount that cannot be read as one sum of yuan; ``message`` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _wan(amount: int) -> str:
    # Integer arithmetic: exact to the yuan, no float rounding (0.0001万元 = 1元).
    sign = "-" if amount < 0 else ""
    whole, rest = divmod(abs(amount), 10_000)
    frac = f"{rest:04d}".rstrip("0")
    return f"{sign}{whole:,}" + (f".{frac}" if frac else "")


def format_wan(amount: int | None) -> str:
    """The short form for narrow places such as chart labels: 800000 → "80万元"."""
    if amount is None:
        return "—"
    return f"{_wan(amount)}万元"


def format_amount(amount: int | None) -> str:
    """Integer yuan as a person reads it: 800000 → "80万元（800,000元）", None → "—".

    The 万元 figure is exact (up to four decimals), the 元 figure in parentheses
    is the one on the documents; zero is just "0元".
    """
    if amount is None:
        return "—"
    if amount == 0:
        return "0元"
    return f"{_wan(amount)}万元（{amount:,}元）"


def format_time(value: dt.datetime | dt.date | str | None) -> str:
    """A moment in Beijing time to the minute: "2026-12-04 21:04"; a date stays a date.

    Accepts a datetime or the ISO text the services answer with. A moment
    without a zone is UTC (what the databases store). Text that is not a time
    is logged and shown as "—", never as it came.
    """
    if value is None or value == "":
        return "—"
    moment: dt.datetime | dt.date
    if isinstance(value, str):
        try:
            moment = (
                dt.date.fromisoformat(value)
                if len(value) == 10
                else dt.datetime.fromisoformat(value)
            )
        except ValueError:
            log.warning("format_time: not an ISO date or time: %r", value)
            return "—"
    else:
        moment = value
    if not isinstance(moment, dt.datetime):
        return moment.isoformat()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def parse_amount(text: str | None, *, field: str = "金额", maximum: int = MAX_AMOUNT) -> int:
    """Integer yuan from what a person typed: "80万", "80万元", "800,000", "0.5万", "800000".

    Refuses, with a Chinese message naming ``field`` (:class:`AmountError`):
    nothing typed, Chinese numerals ("八十万"), a negative amount, thousands
    separators in the wrong places ("1,00,000", "80,5": a decimal comma or a
    typo, so ambiguous), fractions of a yuan, mixed units ("80万5000"), any
    other unit, and amounts above ``maximum``.
    """
    raw = (text or "").strip()
    # NFKC folds full-width digits, commas and ¥ that Chinese input methods type.
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).lstrip("¥")
    if not s:
        raise AmountError(f"请填写{field}，{_EXAMPLES}")
    if s[0] in "-−" or s.startswith("负"):
        raise AmountError(f"{field}不能为负数，收到“{raw}”")
    if not any(c.isdigit() for c in s) and any(c in _CHINESE_NUMERALS for c in s):
        raise AmountError(f"{field}请用阿拉伯数字填写，{_EXAMPLES}，收到“{raw}”")
    m = _AMOUNT.fullmatch(s)
    if m is None:
        raise AmountError(f"{field}只能以元或万元填写一个数，{_EXAMPLES}，收到“{raw}”")
    whole, frac, unit = m["int"], m["frac"] or "", m["unit"] or ""
    if "," in whole and not _GROUPED.fullmatch(whole):
        raise AmountError(f"{field}的千分位逗号位置不对（应每三位一个，如 1,000,000），收到“{raw}”")
    per_unit = _YUAN_PER_UNIT[unit]
    places = len(str(per_unit)) - 1  # decimals that still name whole yuan: 4 for 万
    digits = frac.rstrip("0")
    if len(digits) > places:
        raise AmountError(
            f"{field}须精确到元（整数元"
            + (f"，以{unit[0]}元填写时最多{places}位小数" if places else "")
            + f"），收到“{raw}”"
        )
    amount = int(whole.replace(",", "")) * per_unit + (
        int(digits.ljust(places, "0")) if digits else 0
    )
    if amount > maximum:
        raise AmountError(f"{field}超出可登记的范围（不超过{format_wan(maximum)}），收到“{raw}”")
    return amount
