"""What a condition is kept by: the values of the few-valued facts it reads.

A condition that reads only facts of few values (flags, enum codes, lists of
service types) is a pure function of them, so its result is kept by their
values (``Condition.results``). One that also reads facts of many values
(amounts, dates, free text) keeps instead, by the same values, a *residual*
program with those few values written in as literals (``Condition.residuals``):
what it still reads, the amounts, is cheap to put in a CEL context, while a list
or a string costs the binding several failed type probes. The rule compiler
(libs/policy/expressions.py) asks :func:`condition_keys` for each ``when``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Mapping
from operator import itemgetter
from typing import Any, NamedTuple

import cel

__all__ = ["ConditionKeys", "condition_keys"]

# Facts of few values, by kind: scalars (bool, enum code or None) and lists of codes.
_SCALAR_KINDS = frozenset({"bool", "enum"})
_LIST_KINDS = frozenset({"service_types"})
# Read by their own means (the systems are remembered, the route is added late).
_NEVER_FIXED = frozenset({"systems", "route"})
_STRING = r"\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'"

Key = Callable[[Mapping[str, Any]], Hashable]


class ConditionKeys(NamedTuple):
    """How one condition is kept: the facts fixed by the key, and for a residual, its maker."""

    key: Key
    fixed: frozenset[str]
    specialize: Callable[[Hashable], cel.Program] | None  # None: the result itself is kept


def condition_keys(
    program: cel.Program, names: frozenset[str], bound: set[str], kinds: Mapping[str, str]
) -> ConditionKeys | None:
    """How a ``when`` with these fact ``names`` is kept, or None when it is not.

    ``bound`` holds the names the expression's comprehensions bind (a fact of that
    name is never written in as a literal). None for a condition that reads no
    few-valued fact, or reads the systems or the route.
    """
    fixed = tuple(sorted(n for n in names if kinds.get(n) in _SCALAR_KINDS | _LIST_KINDS))
    if not fixed or names & _NEVER_FIXED:
        return None
    listed = frozenset(n for n in fixed if kinds[n] in _LIST_KINDS)
    key = _key(fixed, listed)
    if len(fixed) == len(names):
        return ConditionKeys(key, frozenset(fixed), None)
    if bound & set(fixed):
        return None
    specialize = _specializer(program.source, fixed, as_tuple=len(fixed) > 1 or bool(listed))
    # Checked once at load: the residual compiles and no longer reads the fixed facts.
    sample: dict[str, Any] = {n: [] if n in listed else None for n in fixed}
    try:
        left = set(specialize(key(sample)).variables())
    except Exception:  # the binding raises ValueError; be safe with others
        return None
    if left & set(fixed):
        return None
    return ConditionKeys(key, frozenset(fixed), specialize)


def _key(fixed: tuple[str, ...], listed: frozenset[str]) -> Key:
    """The values of ``fixed`` in a decision's facts, hashable (lists as tuples)."""
    if not listed:
        # One name gives its value, several a tuple: validated facts are bool, str or
        # None, and each fact is always of one type, so no key stands for two values.
        return itemgetter(*fixed)

    def key(values: Mapping[str, Any]) -> Hashable:
        return tuple([tuple(values[n]) if n in listed else values[n] for n in fixed])

    return key


def _literal(value: Any) -> str:
    """A few-valued fact's value as a CEL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _specializer(
    source: str, fixed: tuple[str, ...], *, as_tuple: bool
) -> Callable[[Hashable], cel.Program]:
    """Compiles ``source`` with the ``fixed`` facts' values (a key) written in as literals.

    ``as_tuple``: the key is a tuple of the values in ``fixed``'s order, not the value.
    """
    pattern = re.compile(rf"({_STRING})|(?<![.\w])({'|'.join(map(re.escape, fixed))})(?![\w(])")

    def specialize(value: Hashable) -> cel.Program:
        parts = value if as_tuple else (value,)
        assert isinstance(parts, tuple)
        values = dict(zip(fixed, parts, strict=True))

        def literal(m: re.Match[str]) -> str:
            return m.group(1) if m.group(1) is not None else _literal(values[m.group(2)])

        return cel.compile(pattern.sub(literal, source))

    return specialize
