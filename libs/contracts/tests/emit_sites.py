"""Find every event type the services' code can emit, by reading the source (no import).

Reading rather than importing keeps the scan independent of how the services
are laid out: it walks every module under ``services/`` and resolves

- ``emit(session, service=..., aggregate=..., event=...)`` with string
  literals, ``"a" if c else "b"``, or a module constant (``SERVICE``);
- calls of a module's own wrapper around ``emit`` (``_emit(session, wf,
  "step", "opened", ...)``), by binding the call's arguments to the wrapper's
  parameters.

An ``event=`` that is computed (``f"extension_{status}"``) cannot be read; it
is returned as a :class:`Dynamic` site, and the test enumerates its values.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Site:
    path: str
    line: int
    service: str
    aggregate: str
    events: frozenset[str] | None  # None: computed, see ``expression``
    expression: str = ""

    @property
    def types(self) -> set[str]:
        return {f"govproj.{self.service}.{self.aggregate}.{e}.v1" for e in self.events or ()}


def _strings(node: ast.AST | None, consts: dict[str, str]) -> frozenset[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return frozenset({node.value})
    if isinstance(node, ast.Name) and node.id in consts:
        return frozenset({consts[node.id]})
    if isinstance(node, ast.IfExp):
        a, b = _strings(node.body, consts), _strings(node.orelse, consts)
        return a | b if a is not None and b is not None else None
    return None


def _name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _module_constants(tree: ast.Module) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            out[node.targets[0].id] = node.value.value
    return out


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg}


def _wrappers(tree: ast.Module) -> dict[str, tuple[list[str], ast.Call]]:
    """Module functions that call ``emit`` with some of their own parameters."""
    out: dict[str, tuple[list[str], ast.Call]] = {}
    for node in tree.body:
        if not isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
            continue
        params = [a.arg for a in node.args.args]
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and _name(inner) == "emit":
                kws = _keywords(inner)
                # A wrapper passes one of its own parameters on as the event or aggregate.
                used = {
                    v.id
                    for k, v in kws.items()
                    if k in ("aggregate", "event") and isinstance(v, ast.Name)
                }
                if used & set(params):
                    out[node.name] = (params, inner)
    return out


def sites(root: Path = ROOT) -> Iterator[Site]:
    """Every emit site under ``services/`` (tests and migrations excluded)."""
    trees: dict[Path, ast.Module] = {}
    for path in sorted((root / "services").rglob("*.py")):
        rel = path.relative_to(root)
        if "tests" not in rel.parts and "migrations" not in rel.parts:
            trees[rel] = ast.parse(path.read_text(encoding="utf-8"))
    # A constant may be imported from a sibling module (``from .records import SERVICE``):
    # the service package's string constants, the module's own taking precedence.
    package_consts: dict[str, dict[str, str]] = {}
    for rel, tree in trees.items():
        package_consts.setdefault(rel.parts[1], {}).update(_module_constants(tree))
    for rel, tree in trees.items():
        consts = {**package_consts[rel.parts[1]], **_module_constants(tree)}
        wrappers = _wrappers(tree)
        wrapped = {id(call) for _, call in wrappers.values()}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in wrapped:
                continue
            name = _name(node)
            if name == "emit":
                kws = _keywords(node)
                bound: dict[str, ast.expr] = {}
            elif name in wrappers:
                params, inner = wrappers[name]
                kws = _keywords(inner)
                bound = dict(zip(params, node.args, strict=False)) | _keywords(node)
            else:
                continue

            def resolve(
                key: str, kws: dict[str, ast.expr] = kws, bound: dict[str, ast.expr] = bound
            ) -> ast.expr | None:
                value = kws.get(key)
                if isinstance(value, ast.Name) and value.id in bound:
                    return bound[value.id]
                return value

            service = _strings(resolve("service"), consts)
            aggregate = _strings(resolve("aggregate"), consts)
            if service is None or aggregate is None or len(service) != 1 or len(aggregate) != 1:
                raise AssertionError(f"{rel}:{node.lineno}: cannot read service/aggregate of emit")
            event_node = resolve("event")
            events = _strings(event_node, consts)
            yield Site(
                str(rel),
                node.lineno,
                next(iter(service)),
                next(iter(aggregate)),
                events,
                "" if events is not None else ast.unparse(event_node) if event_node else "",
            )
