"""Bind the values authorities set (政府采购限额 …) to a pack, for the dates they judge.

A pack marks such a parameter ``set_by: <authority>`` and gives no value; the
authority records one with the document that sets it (文号, date) and the day it
starts to judge. A project is judged by the values in force on its
``submitted_on``, as it is judged by the pack in force that day: a later change
judges later submissions only, and a stored decision never changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from libs.policy.compiler import compile_pack
from libs.policy.decision import Waivable
from libs.policy.errors import PackError
from libs.policy.lint import parameter_value
from libs.policy.pack import Pack
from libs.policy.parameters import ParameterSetting

__all__ = [
    "bind_in_force",
    "bind_parameters",
    "check_setting",
    "settings_in_force",
    "waivable_rules",
]


def settings_in_force(
    settings: Iterable[ParameterSetting], on: date
) -> tuple[ParameterSetting, ...]:
    """For each parameter, the latest setting whose ``effective_from`` is on or before ``on``."""
    latest: dict[str, ParameterSetting] = {}
    for s in settings:
        if s.effective_from > on:
            continue
        held = latest.get(s.name)
        if held is None or (s.effective_from, s.document_date) >= (
            held.effective_from,
            held.document_date,
        ):
            latest[s.name] = s
    return tuple(sorted(latest.values(), key=lambda s: s.name))


def check_setting(pack: Pack, setting: ParameterSetting) -> None:
    """Refuse a setting for a parameter the pack does not leave open, or of the wrong type."""
    spec = pack.spec.parameters.get(setting.name)
    if spec is None or spec.set_by is None:
        raise PackError(pack.id, f"parameters.{setting.name}", "is not set by an authority")
    parameter_value(
        pack.id, setting.name, spec.model_copy(update={"value": setting.value, "set_by": None})
    )


def bind_parameters(pack: Pack, settings: Iterable[ParameterSetting]) -> Pack:
    """The pack judging with these authority-set values (the rest stay unset).

    Compiled once per distinct set of values (the conditions fold parameters in
    as literals), then shared. Raises :class:`PackError` for a setting the pack
    does not allow.
    """
    chosen = tuple(sorted(settings, key=lambda s: s.name))
    if not chosen:
        return pack
    return _bound(pack, chosen)


@lru_cache(maxsize=256)
def _bound(pack: Pack, chosen: tuple[ParameterSetting, ...]) -> Pack:
    if pack.cited is None:
        raise PackError(pack.id, "parameters", "this pack cannot be recompiled (no citations)")
    params = dict(pack.params)
    for setting in chosen:
        check_setting(pack, setting)
        params[setting.name] = setting.value
    by_name = {s.name: s for s in chosen}
    unset = frozenset(n for n, p in pack.spec.parameters.items() if p.set_by and n not in by_name)
    compiled = compile_pack(pack.id, pack.spec, params, pack.cited, unset=unset)
    return dataclasses.replace(pack, params=params, compiled=compiled, settings=by_name)


def waivable_rules(pack: Pack) -> dict[str, Waivable]:
    """The pack's softened rules (原则上、一般) by trace key, with who may grant an exception."""
    cp = pack.compiled
    found: dict[str, Waivable] = {}
    for steps in (cp.scope, cp.requirements, cp.time_limits):
        for step in steps:
            if step.waivable is not None:
                found[step.key] = step.waivable
    return found


def bind_in_force(pack: Pack, settings: Iterable[ParameterSetting], on: date) -> Pack:
    """``pack`` with the values in force on ``on`` of the parameters it leaves to an authority.

    Values recorded for parameters this version does not leave open (an older or
    newer version's) are not its to use and are passed over.
    """
    open_names = {n for n, p in pack.spec.parameters.items() if p.set_by}
    return bind_parameters(
        pack, settings_in_force((s for s in settings if s.name in open_names), on)
    )
