"""Find every event type the services' code can emit, by reading the source (no import).

Reading rather than importing keeps the scan independent of how the services
are laid out: it walks every module under ``services/`` and resolves

- ``emit(session, service=..., aggregate=..., event=...)`` with string
  literals, ``"a" if c else "b"``, or a module constant (``SERVICE``);
- ``publisher.announce(session, aggregate, event, ...)`` and
  ``publisher.record(session, row, aggregate, event, ...)``, the service's
  :class:`libs.common.publisher.Publisher` (its name read from
  ``publisher = Publisher("<service>")`` in the service package);
- calls of a wrapper around ``emit`` (``_emit(session, wf, "step", "opened",
  ...)``), defined in the module or in another module of its service package,
  wrappers of wrappers included, by binding the call's arguments to the
  wrapper's parameters.

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


# The positional parameters of a Publisher's methods, up to the event.
_PUBLISHER_PARAMS: dict[str, list[str]] = {
    "announce": ["session", "aggregate", "event"],
    "record": ["session", "row", "aggregate", "event"],
}


def _publishes(call: ast.Call) -> bool:
    """``publisher.announce(...)`` or ``publisher.record(...)``."""
    f = call.func
    return (
        isinstance(f, ast.Attribute)
        and f.attr in _PUBLISHER_PARAMS
        and isinstance(f.value, ast.Name)
        and f.value.id == "publisher"
    )


def _publisher_keywords(call: ast.Call, service: str | None) -> dict[str, ast.expr]:
    """The ``emit`` keywords a Publisher call comes to (the service is the publisher's)."""
    assert isinstance(call.func, ast.Attribute)
    params = _PUBLISHER_PARAMS[call.func.attr]
    kws = dict(zip(params, call.args, strict=False)) | _keywords(call)
    return kws | ({"service": ast.Constant(service)} if service is not None else {})


def _publisher_of(tree: ast.Module) -> str | None:
    """The service named by ``publisher = Publisher("<service>", ...)`` in a module, if any."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and _name(node.value) == "Publisher"
            and node.value.args
            and isinstance(node.value.args[0], ast.Constant)
            and isinstance(node.value.args[0].value, str)
        ):
            return node.value.args[0].value
    return None


def _wrappers(
    tree: ast.Module,
    known: dict[str, tuple[list[str], ast.Call]] | None = None,
    service: str | None = None,
) -> dict[str, tuple[list[str], ast.Call]]:
    """Module functions that call ``emit`` (or a ``known`` wrapper of it) with some of
    their own parameters as the event or aggregate."""
    known = known or {}
    out: dict[str, tuple[list[str], ast.Call]] = {}
    for node in tree.body:
        if not isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
            continue
        params = [a.arg for a in node.args.args] + [a.arg for a in node.args.kwonlyargs]
        for inner in ast.walk(node):
            if not isinstance(inner, ast.Call):
                continue
            name = _name(inner)
            if _publishes(inner):
                kws = _publisher_keywords(inner, service)
            elif name == "emit":
                kws = _keywords(inner)
            elif name in known and name != node.name:
                inner_params = known[name][0]
                kws = dict(zip(inner_params, inner.args, strict=False)) | _keywords(inner)
            else:
                continue
            # A wrapper passes one of its own parameters on as the event or aggregate.
            used = {
                v.id
                for k, v in kws.items()
                if k in ("aggregate", "event") and isinstance(v, ast.Name)
            }
            if used & set(params):
                out[node.name] = (params, inner)
    return out


def _package_wrappers(
    trees: dict[Path, ast.Module], publishers: dict[str, str]
) -> dict[str, dict[str, tuple[list[str], ast.Call]]]:
    """Per service package, the wrappers of ``emit`` any of its modules defines, wrappers
    of wrappers included (``publish`` → ``announce`` → ``emit``), found to a fixpoint."""
    out: dict[str, dict[str, tuple[list[str], ast.Call]]] = {}
    for rel in trees:
        out.setdefault(rel.parts[1], {})
    while True:
        grown = False
        for rel, tree in trees.items():
            known = out[rel.parts[1]]
            for name, wrapper in _wrappers(tree, known, publishers.get(rel.parts[1])).items():
                if name not in known:
                    known[name] = wrapper
                    grown = True
        if not grown:
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
    publishers = {
        rel.parts[1]: named
        for rel, tree in trees.items()
        if (named := _publisher_of(tree)) is not None
    }
    package_wrappers = _package_wrappers(trees, publishers)
    for rel, tree in trees.items():
        consts = {**package_consts[rel.parts[1]], **_module_constants(tree)}
        producer = publishers.get(rel.parts[1])
        # The module's own wrappers first, then those it imports from its service package.
        wrappers = {
            **package_wrappers[rel.parts[1]],
            **_wrappers(tree, package_wrappers[rel.parts[1]], producer),
        }
        wrapped = {id(call) for _, call in wrappers.values()}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in wrapped:
                continue
            name = _name(node)
            if not _publishes(node) and name != "emit" and name not in wrappers:
                continue
            kws = _through(node, wrappers, {}, producer)
            service = _strings(kws.get("service"), consts)
            aggregate = _strings(kws.get("aggregate"), consts)
            if service is None or aggregate is None or len(service) != 1 or len(aggregate) != 1:
                raise AssertionError(f"{rel}:{node.lineno}: cannot read service/aggregate of emit")
            event_node = kws.get("event")
            events = _strings(event_node, consts)
            yield Site(
                str(rel),
                node.lineno,
                next(iter(service)),
                next(iter(aggregate)),
                events,
                "" if events is not None else ast.unparse(event_node) if event_node else "",
            )


def _through(
    call: ast.Call,
    wrappers: dict[str, tuple[list[str], ast.Call]],
    bound: dict[str, ast.expr],
    publisher: str | None,
) -> dict[str, ast.expr]:
    """The ``emit`` keywords a call comes to, following wrappers and binding their parameters."""

    def value(node: ast.expr) -> ast.expr:
        return bound.get(node.id, node) if isinstance(node, ast.Name) else node

    if _publishes(call):
        return {k: value(v) for k, v in _publisher_keywords(call, publisher).items()}
    if _name(call) == "emit":
        return {k: value(v) for k, v in _keywords(call).items()}
    params, inner = wrappers[_name(call)]
    args = dict(zip(params, call.args, strict=False)) | _keywords(call)
    return _through(inner, wrappers, {p: value(v) for p, v in args.items()}, publisher)


# Emit sites whose event name is computed: what each expression can be, read
# from the code next to it. A new computed site fails the test until listed here.
DYNAMIC: dict[tuple[str, str, str], set[str]] = {
    # sweep.py: schedule.status_on(...) owes a reminder or an overdue notice.
    ("acceptance", "deadline", "owed"): {"reminder", "overdue"},
    # sweep.py: ext.status is "granted" or "refused" once decided.
    ("acceptance", "deadline", "f'extension_{ext.status}'"): {
        "extension_granted",
        "extension_refused",
    },
    # changes/closing.py: a change workflow closes approved, rejected or returned.
    ("approval", "change", "state"): {"approved", "rejected", "returned"},
    # workflow/outcomes.py: a project step that does not approve returns or rejects.
    ("approval", "project", "state"): {"returned", "rejected"},
    # checks/service.py: "passed" if the report is acceptable else "failed".
    ("archive", "acceptance", "outcome"): {"passed", "failed"},
    # retention/service.py: a finding is changed, missing or untracked (models.py CHECK).
    ("archive", "fixity", "finding.classification"): {"changed", "missing", "untracked"},
}


def types_of(site: Site) -> set[str]:
    """The types a site emits (a computed one from :data:`DYNAMIC`; unlisted fails)."""
    if site.events is not None:
        return site.types
    key = (site.service, site.aggregate, site.expression)
    assert key in DYNAMIC, (
        f"{site.path}:{site.line} emits a computed event {site.expression!r}: "
        f"list its values in DYNAMIC"
    )
    return {f"govproj.{site.service}.{site.aggregate}.{e}.v1" for e in DYNAMIC[key]}


def emitted(all_sites: list[Site]) -> set[str]:
    """Every type the scanned sites can emit."""
    return {t for s in all_sites for t in types_of(s)}
