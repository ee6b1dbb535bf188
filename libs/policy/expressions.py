"""The rule compiler's working state: CEL expressions, templates, authorities, parameters.

:class:`RuleCompiler` folds parameters into CEL as literals, compiles each
expression, checks the names it reads against the pack's facts, runs it once on
sample facts, and remembers what the pack reads (the per-decision CEL context)
and which authority-set parameters each rule depends on. libs/policy/compiler.py
turns a pack's rules into compiled steps with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import cel

from libs.policy.compiled import Condition
from libs.policy.decision import Waivable
from libs.policy.errors import PackError
from libs.policy.facts import SYSTEM_DEFAULTS
from libs.policy.keys import condition_keys
from libs.policy.model import Document, PackSpec, Parameter
from libs.policy.render import Template, format_value

__all__ = ["RuleCompiler"]

_STRING_OR_PARAM = re.compile(
    r"(\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')"
    r"|\bparams\s*\.\s*([A-Za-z_]\w*)"
)
_PARAM_NAMES = re.compile(r"\bparams\s*\.\s*([A-Za-z_]\w*)")
_WORDS = re.compile(r"[.\"']\s*([A-Za-z_]\w*)")
_BOUND_VARS = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")


def _literal(value: Any) -> str:
    """A parameter value as a CEL literal (ratios as doubles, amounts as ints)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if ("." in repr(value) or "e" in repr(value)) else f"{value!r}.0"
    return json.dumps(str(value), ensure_ascii=False)


def _smoke_context(spec: PackSpec) -> dict[str, Any]:
    """Plausible facts to try every condition on once at load (catches type errors)."""
    zero: dict[str, Any] = {
        "bool": False,
        "amount": 1000000,
        "int": 0,
        "string": "",
        "enum": None,
        "string_list": [],
    }
    ctx: dict[str, Any] = {
        "project_class": "public",
        "category": None,
        "service_types": ["software_development"],
        "amount": 1000000,
        "software_amount": 500000,
        "funding": "fiscal",
        "new_fiscal_funds": False,
        "uses_crypto": False,
        "classified": False,
        "fixed_asset_investment": False,
        "excluded_kind": None,
        "in_annual_plan": True,
        "mandated": False,
        "systems": [{"id": "smoke", **SYSTEM_DEFAULTS}],
        "submitted_on": "2000-01-01",
        "route_choice": None,
        "route": "approval",
    }
    for name, fd in spec.facts.items():
        ctx[name] = fd.default if "default" in fd.model_fields_set else zero[fd.type]
    return ctx


class RuleCompiler:
    """Compiles one pack's expressions and templates; collects what they read."""

    def __init__(
        self,
        pack_id: str,
        spec: PackSpec,
        params: Mapping[str, Any],
        fact_kinds: Mapping[str, str],
        cited: Callable[[str], Document],
        unset: frozenset[str] = frozenset(),
    ) -> None:
        self.pack = pack_id
        self.spec = spec
        self.params = params
        self.fact_kinds = fact_kinds
        self.cited = cited
        self.unset = unset
        self.variables: set[str] = set()
        self.words: set[str] = set()  # field names and string literals the conditions mention
        self.subject_words: set[str] = set()  # the same, of the subjects expressions
        self.uses_route = False
        self.smoke = _smoke_context(spec)
        self.smoke_ctx = cel.Context(self.smoke)
        # Constant placeholders: parameters (rendered by type) and the document.
        self.constants: dict[str, str] = {
            name: format_value(params[name], p.type) for name, p in spec.parameters.items()
        }
        # A parameter nobody has set yet reads as such, never as its stand-in value.
        for name in unset:
            self.constants[name] = "（尚未设定）"
        # Parameters an authority sets: which rules read them (decisions cite them).
        self.bureau = frozenset(n for n, p in spec.parameters.items() if p.set_by)
        self.deps: dict[str, frozenset[str]] = {}

    def depends(self, key: str, *sources: str | None) -> None:
        """Remember which authority-set parameters the rule ``key`` reads."""
        names: set[str] = set()
        for source in sources:
            if source:
                names.update(n for n in _PARAM_NAMES.findall(source) if n in self.bureau)
                if source in self.bureau:
                    names.add(source)
        if names:
            self.deps[key] = self.deps.get(key, frozenset()) | frozenset(names)

    def waivable(self, where: str, key: str | None, article: str) -> Waivable | None:
        """Who may grant an exception to a softened rule (原则上、一般)."""
        if key is None:
            return None
        auth = self.spec.authorities.get(key)
        if auth is None:
            raise PackError(self.pack, where, f"waivable_by {key} is not in authorities")
        role = auth.role or key
        return Waivable(authority=auth.name, role=role, key=key, article=article)

    def condition(self, where: str, source: str, *, allow_route: bool) -> Condition:
        text = source.strip()
        if text in ("true", "false"):
            return Condition(source, None, text == "true", frozenset())
        return self.expression(where, "when", source, allow_route=allow_route, expect=bool)

    def subjects(self, where: str, source: str | None, *, allow_route: bool) -> Condition | None:
        if source is None:
            return None
        return self.expression(where, "subjects", source, allow_route=allow_route, expect=list)

    def expression(
        self, where: str, what: str, source: str, *, allow_route: bool, expect: type
    ) -> Condition:
        """Fold parameters in, compile, check the names it reads, try it on sample facts."""

        def substitute(m: re.Match[str]) -> str:
            if m.group(1) is not None:
                return m.group(1)
            name = m.group(2)
            if name not in self.params:
                raise PackError(self.pack, where, f"{what}: unknown parameter params.{name}")
            return _literal(self.params[name])

        folded = _STRING_OR_PARAM.sub(substitute, source)
        try:
            program = cel.compile(folded)
        except Exception as exc:  # the binding raises ValueError; be safe with others
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise PackError(self.pack, where, f"{what} does not compile: {first}") from None
        bound = set(_BOUND_VARS.findall(folded))
        (self.words if what == "when" else self.subject_words).update(_WORDS.findall(folded))
        names = set(program.variables()) - bound
        for name in sorted(names):
            if name == "params":
                raise PackError(self.pack, where, f"{what}: refer to parameters as params.<name>")
            if name == "route":
                if not allow_route:
                    raise PackError(
                        self.pack,
                        where,
                        f"{what}: route is only known to requirements and time limits",
                    )
                self.uses_route = True
                continue
            if name not in self.fact_kinds:
                raise PackError(self.pack, where, f"{what}: unknown fact {name!r}")
        self.variables.update(n for n in names if n != "route")
        try:
            result = program.execute(self.smoke_ctx)
        except Exception as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise PackError(self.pack, where, f"{what} fails on sample facts: {first}") from None
        if not isinstance(result, expect):
            raise PackError(
                self.pack,
                where,
                f"{what} must give a {expect.__name__}, got {type(result).__name__}",
            )
        variables = frozenset(names)
        keys = (
            condition_keys(program, variables, bound, self.fact_kinds) if what == "when" else None
        )
        return Condition(source, program, None, variables, keys)

    def template(self, where: str, source: str, *, subjects: bool = False) -> Template:
        def unknown(name: str) -> None:
            hint = " (set subjects: to use {subjects})" if name == "subjects" else ""
            raise PackError(self.pack, where, f"explanation: unknown placeholder {{{name}}}{hint}")

        doc = self.cited(where)
        constants = dict(self.constants)
        constants["document"] = f"《{doc.title}》"
        names: Mapping[str, str] = self.fact_kinds
        if subjects:
            names = {**self.fact_kinds, "subjects": "subjects"}
        return Template.compile(source, constants=constants, fact_names=names, on_unknown=unknown)

    def prefix(self, where: str, article: str) -> str:
        return f"依据《{self.cited(where).title}》{article}，"

    def authority(self, where: str, key: str | None) -> str | None:
        if key is None:
            return None
        auth = self.spec.authorities.get(key)
        if auth is None:
            raise PackError(self.pack, where, f"authority {key} is not in authorities")
        return auth.name

    def param_ref(self, where: str, value: Any, kinds: tuple[str, ...]) -> Any:
        """A time-limit value that may name a parameter of one of ``kinds``."""
        if isinstance(value, str) and value in self.params:
            p: Parameter = self.spec.parameters[value]
            if p.type not in kinds:
                raise PackError(
                    self.pack,
                    where,
                    f"parameter {value} is a {p.type}, expected {' or '.join(kinds)}",
                )
            return p.value
        return value
