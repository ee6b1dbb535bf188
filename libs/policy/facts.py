"""Project facts: the input a pack decides on, checked before any rule runs.

Validation is hand-written rather than pydantic because it sits on the hot
path of every decision and must name the offending field in Chinese.
Defaults are the ordinary case (not classified, fiscal money, in the annual
plan, ...): the exceptional states must be declared.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from libs.policy.errors import FactsError
from libs.policy.pack import Pack
from libs.vocab import (
    CATEGORIES,
    EXCLUDED_KINDS,
    FUNDING,
    PROJECT_CLASSES,
    ROUTE_LABELS,
    SERVICE_TYPES,
)

__all__ = [
    "CORE_FACTS",
    "SYSTEM_DEFAULTS",
    "Facts",
    "fact_kind",
    "validate_facts",
]

_REQUIRED: Final = object()

# name -> (kind, default); kind is one of the FactDef types plus the special
# kinds of the core facts. Order is the order of vocabulary.md.
CORE_FACTS: Final[dict[str, tuple[str, Any]]] = {
    "project_class": ("enum", _REQUIRED),
    "category": ("enum?", None),
    "service_types": ("service_types", _REQUIRED),
    "amount": ("amount", _REQUIRED),
    "software_amount": ("amount", 0),
    "funding": ("enum", "fiscal"),
    "new_fiscal_funds": ("bool", False),
    "uses_crypto": ("bool", False),
    "classified": ("bool", False),
    "fixed_asset_investment": ("bool", False),
    "excluded_kind": ("enum?", None),
    "in_annual_plan": ("bool", True),
    "mandated": ("bool", False),
    "systems": ("systems", ()),
    "submitted_on": ("date?", None),
    # The stricter route a unit chose where the text lets it ("可采取备案制管理"):
    # honoured only when the decided band offers it (docs/policy-packs.md, options).
    "route_choice": ("enum?", None),
}
_ENUMS: Final[dict[str, Mapping[str, str]]] = {
    "project_class": PROJECT_CLASSES,
    "category": CATEGORIES,
    "funding": FUNDING,
    "excluded_kind": EXCLUDED_KINDS,
    "route_choice": ROUTE_LABELS,
}

# A system given by id only is taken to be an ordinary catalog entry.
SYSTEM_DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "relation": "build",
        "in_catalog": True,
        "reported": True,
        "shares_data": True,
        "duplicate_collection": False,
        "crypto_compliant": True,
        "security_compliant": True,
        "secure_reliable": True,
    }
)
_RELATIONS: Final = ("build", "operate", "upgrade")


def fact_kind(pack: Pack | None, name: str) -> str | None:
    """The kind of fact ``name`` (``amount``, ``bool``, ...), or None when unknown."""
    core = CORE_FACTS.get(name)
    if core is not None:
        return core[0].rstrip("?")
    if pack is not None:
        fd = pack.spec.facts.get(name)
        if fd is not None:
            return fd.type
    return None


class Facts:
    """Validated, normalised facts: every core and pack fact present, defaults applied."""

    __slots__ = ("submitted_on", "values")

    def __init__(self, values: Mapping[str, Any], submitted_on: date | None) -> None:
        self.values: Mapping[str, Any] = values
        self.submitted_on = submitted_on

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def __repr__(self) -> str:
        return f"Facts({dict(self.values)!r})"

    def replace(self, **changes: Any) -> Facts:
        """A copy with some facts changed (already-valid values; used by property tests)."""
        values = dict(self.values)
        values.update(changes)
        return Facts(values, self.submitted_on)


def _amount(field: str, value: Any) -> int:
    # bool is an int subclass in Python; an amount of True must not pass.
    if type(value) is not int or value < 0:
        raise FactsError(field, f"须为非负整数（元），收到 {value!r}")
    return value


def _bool(field: str, value: Any) -> bool:
    if type(value) is not bool:
        raise FactsError(field, f"须为布尔值 true/false，收到 {value!r}")
    return value


def _int(field: str, value: Any) -> int:
    if type(value) is not int:
        raise FactsError(field, f"须为整数，收到 {value!r}")
    return value


def _str(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise FactsError(field, f"须为字符串，收到 {value!r}")
    return value


def _enum(field: str, value: Any, allowed: Mapping[str, str] | list[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise FactsError(field, f"取值须为 {', '.join(allowed)} 之一，收到 {value!r}")
    return value


def _date(field: str, value: Any) -> date:
    if type(value) is date:
        return value
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
        except ValueError:
            pass
    raise FactsError(field, f"须为 ISO 日期 YYYY-MM-DD，收到 {value!r}")


def _service_types(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise FactsError("service_types", "须为非空列表")
    seen: list[str] = []
    for i, item in enumerate(value):
        code = _enum(f"service_types[{i}]", item, SERVICE_TYPES)
        if code not in seen:
            seen.append(code)
    return seen


def _systems(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list | tuple):
        raise FactsError("systems", "须为列表（系统编号或系统对象）")
    out: list[dict[str, Any]] = []
    ids: set[str] = set()
    for i, item in enumerate(value):
        where = f"systems[{i}]"
        system = dict(SYSTEM_DEFAULTS)
        if isinstance(item, str):
            system["id"] = item
        elif isinstance(item, Mapping):
            if "id" not in item:
                raise FactsError(f"{where}.id", "缺少系统编号")
            for key, v in item.items():
                if key == "id":
                    system["id"] = _str(f"{where}.id", v)
                elif key == "relation":
                    system["relation"] = _enum(f"{where}.relation", v, list(_RELATIONS))
                elif key in SYSTEM_DEFAULTS:
                    system[key] = _bool(f"{where}.{key}", v)
                else:
                    raise FactsError(f"{where}.{key}", "未知的系统事实")
        else:
            raise FactsError(where, f"须为系统编号或系统对象，收到 {item!r}")
        if not system["id"]:
            raise FactsError(f"{where}.id", "系统编号不能为空")
        if system["id"] in ids:
            raise FactsError(f"{where}.id", f"系统 {system['id']} 重复")
        ids.add(system["id"])
        out.append(system)
    return out


def validate_facts(pack: Pack, raw: Mapping[str, Any]) -> Facts:
    """Check ``raw`` (decoded JSON) against the core facts and ``pack``'s own facts.

    Raises :class:`FactsError` naming the first field at fault: unknown keys,
    wrong types, amounts that are not non-negative integers, a software amount
    above the total, an invalid date.
    """
    if not isinstance(raw, Mapping):
        raise FactsError("body", "项目事实须为 JSON 对象")
    extra = pack.spec.facts
    for key in raw:
        if key not in CORE_FACTS and key not in extra:
            raise FactsError(str(key), "未知的事实（不在 vocabulary.md 中，本政策包也未声明）")
    values: dict[str, Any] = {}
    submitted_on: date | None = None
    for name, (kind, default) in CORE_FACTS.items():
        if name not in raw:
            if default is _REQUIRED:
                raise FactsError(name, "缺少必填事实")
            values[name] = list(default) if isinstance(default, tuple) else default
            continue
        value = raw[name]
        if kind == "amount":
            values[name] = _amount(name, value)
        elif kind == "bool":
            values[name] = _bool(name, value)
        elif kind == "enum":
            values[name] = _enum(name, value, _ENUMS[name])
        elif kind == "enum?":
            values[name] = None if value is None else _enum(name, value, _ENUMS[name])
        elif kind == "service_types":
            values[name] = _service_types(value)
        elif kind == "systems":
            values[name] = _systems(value)
        else:  # date?
            if value is not None:
                submitted_on = _date(name, value)
            values[name] = submitted_on.isoformat() if submitted_on else None
    if values["software_amount"] > values["amount"]:
        raise FactsError(
            "software_amount",
            f"应用软件开发费用 {values['software_amount']} 元不能超过总投资 {values['amount']} 元",
        )
    for name, fd in extra.items():
        if name not in raw:
            if "default" not in fd.model_fields_set:
                raise FactsError(name, f"缺少必填事实（{fd.label}）")
            values[name] = fd.default
            continue
        value = raw[name]
        if fd.type == "amount":
            values[name] = _amount(name, value)
        elif fd.type == "bool":
            values[name] = _bool(name, value)
        elif fd.type == "int":
            values[name] = _int(name, value)
        elif fd.type == "string":
            values[name] = _str(name, value)
        elif fd.type == "enum":
            values[name] = None if value is None else _enum(name, value, fd.values or [])
        else:  # string_list
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise FactsError(name, "须为字符串列表")
            values[name] = list(value)
    return Facts(values, submitted_on)
