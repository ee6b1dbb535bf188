"""政策对比 as an official reads it: parameter by parameter, rule by rule, packs side by side.

Every value is shown as the regulation states it (万元, 比例, 期限, 每年M月D日),
every rule as the Chinese sentence of its explanation with its article, grouped
by 管理方式, 程序 and 期限. No keys, no conditions, no placeholders: a
placeholder is filled with the pack's value, the authority's name, or the
fact's label. Pure: it reads loaded packs (libs/policy) and decides nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from libs.policy.pack import Pack
from libs.policy.render import format_value
from libs.vocab import FIELD_LABELS, label

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
# What an explanation says about the project itself once the project's value is left out.
_EMPTY_ASIDES = re.compile(r"（本项目[：:]?(?:〔[^〕]*〕)?）")


@dataclass
class Cell:
    """What one pack says on one row: sentences (with their articles), or nothing."""

    lines: list[tuple[str, str]] = field(default_factory=list)  # (text, article)

    @property
    def text(self) -> str:
        return "\n".join(f"{t}（{a}）" if a else t for t, a in self.lines)


@dataclass
class Row:
    label: str
    cells: list[Cell]

    @property
    def differs(self) -> bool:
        return len({c.text for c in self.cells}) > 1


@dataclass
class Group:
    title: str
    rows: list[Row]

    @property
    def differences(self) -> int:
        return sum(r.differs for r in self.rows)


def _authority(pack: Pack, key: str | None) -> str:
    if not key:
        return ""
    found = pack.spec.authorities.get(key)
    return found.name if found else label("role", key)


def _param_text(pack: Pack, name: str, *, in_sentence: bool = False) -> str:
    """A parameter's value as the regulation states it, or who sets it while it is unset.

    In a sentence the text already names the parameter ("政府采购限额{procurement_limit}"):
    only its state is added there.
    """
    param = pack.spec.parameters[name]
    if name in pack.unset and in_sentence:
        return "（尚未设定）"
    if name in pack.unset:
        setter = _authority(pack, param.set_by)
        return (
            f"{param.label}（尚未设定，由{setter}设定）" if setter else f"{param.label}（尚未设定）"
        )
    return format_value(pack.params.get(name, param.value), param.type)


def sentence(pack: Pack, template: str | None, authority: str | None = None) -> str:
    """An explanation with its placeholders filled as far as a pack alone can fill them."""

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        if name == "authority":
            return _authority(pack, authority) or "主管部门"
        if name == "document":
            return f"《{pack.spec.document.title}》"
        if name in pack.spec.parameters:
            return _param_text(pack, name, in_sentence=True)
        if name == "subjects":
            return "相关事项"
        fact = pack.spec.facts.get(name)
        if (fact and fact.type == "amount") or name in ("amount", "software_amount"):
            return ""  # "投资总额{amount}≥50万元" reads "投资总额≥50万元" for every project
        return f"〔{fact.label if fact else FIELD_LABELS.get(name, '项目情况')}〕"

    return _EMPTY_ASIDES.sub("", _PLACEHOLDER.sub(fill, template or "")).strip()


def _bound(pack: Pack, value: Any) -> str:
    if isinstance(value, str) and value in pack.spec.parameters:
        return _param_text(pack, value)
    return format_value(value, "amount")


def amount_range(pack: Pack, band: Any) -> str:
    """A band's amounts in words: "50万元（含）以上", "10万元（含）至50万元", "不论金额"."""
    low = band.gte if band.gte is not None else band.gt
    high = band.lt if band.lt is not None else band.lte
    low_text = "" if low in (None, 0) else _bound(pack, low) + ("（含）" if band.gte else "")
    high_text = "" if high is None else _bound(pack, high) + ("（含）" if band.lte else "")
    if low_text and high_text:
        return f"{low_text}至{high_text}"
    if low_text:
        return f"{low_text}以上"
    if high_text:
        return f"{high_text}以下"
    return "不论金额"


def _rows(
    packs: Sequence[Pack],
    keys_of: Callable[[Pack], Iterable[tuple[str, str, str, str]]],
) -> list[Row]:
    """Rows keyed across packs: ``keys_of`` yields (key, row label, sentence, article)."""
    order: list[str] = []
    labels: dict[str, str] = {}
    cells: dict[str, list[Cell]] = {}
    for i, pack in enumerate(packs):
        for key, row_label, text, article in keys_of(pack):
            if key not in cells:
                order.append(key)
                labels[key] = row_label
                cells[key] = [Cell() for _ in packs]
            if (text, article) not in cells[key][i].lines:
                cells[key][i].lines.append((text, article))
    return [Row(labels[k], cells[k]) for k in order]


def _parameters(pack: Pack) -> Iterable[tuple[str, str, str, str]]:
    for name, p in pack.spec.parameters.items():
        yield name, p.label, _param_text(pack, name), p.article


def _routes(pack: Pack) -> Iterable[tuple[str, str, str, str]]:
    for rule in pack.spec.scope:
        yield (
            f"scope:{rule.route}",
            label("route", rule.route),
            sentence(pack, rule.explanation, rule.authority),
            rule.article,
        )
    for table in pack.spec.routes:
        for band in table.bands:
            route = label("route", band.route)
            article = band.article or table.article
            yield f"range:{band.route}", f"{route}的金额范围", amount_range(pack, band), article
            yield (
                f"band:{band.route}",
                route,
                sentence(pack, band.explanation, band.authority),
                article,
            )


def _procedures(pack: Pack) -> Iterable[tuple[str, str, str, str]]:
    for r in pack.spec.requirements:
        name = r.label or label("requirement", r.code)
        text = sentence(pack, r.explanation, r.authority or r.actor) or name
        if not r.mandatory:
            text += "（按需）"
        yield f"req:{r.code}", label("requirement", r.code), text, r.article


def _limit_value(pack: Pack, t: Any) -> str:
    for value, kind in ((t.period, "period"), (t.date, "month_day"), (t.ratio, "ratio")):
        if value is not None:
            if isinstance(value, str) and value in pack.spec.parameters:
                return _param_text(pack, value)
            return format_value(value, kind) + ("（工作日）" if t.working_days else "")
    if t.amount is not None:
        return _bound(pack, t.amount)
    return ""


def _limits(pack: Pack) -> Iterable[tuple[str, str, str, str]]:
    for t in pack.spec.time_limits:
        value = _limit_value(pack, t)
        text = sentence(pack, t.explanation) or label("time_limit", t.code)
        yield (
            f"limit:{t.code}",
            label("time_limit", t.code),
            f"{value}：{text}" if value else text,
            t.article,
        )


def compare(packs: Sequence[Pack]) -> list[Group]:
    """The packs side by side: 参数, 管理方式, 程序, 期限 (rows in the first pack's order)."""
    return [
        Group("参数（金额、比例、期限）", _rows(packs, _parameters)),
        Group("管理方式", _rows(packs, _routes)),
        Group("程序", _rows(packs, _procedures)),
        Group("期限", _rows(packs, _limits)),
    ]
