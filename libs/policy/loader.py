"""Load every pack under ``policies/``: read, resolve ``extends``, validate, lint, compile.

A pack that fails any check does not load, and the whole registry refuses
with a :class:`PackError` naming the pack, the item and the problem: a
half-loaded policy set would judge some tenants by stale rules.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from libs.policy.compiler import compile_pack
from libs.policy.errors import PackError
from libs.policy.lint import (
    SourceText,
    check_citation,
    check_unique_ids,
    check_validity_overlaps,
    parameter_value,
)
from libs.policy.model import Document, PackSpec
from libs.policy.pack import Pack, PolicyRegistry, canonical_json
from libs.policy.scope_lint import lint_scope_order

__all__ = ["Pack", "PolicyRegistry", "canonical_json", "load_pack_file", "load_registry"]

_LIST_SECTIONS = ("scope", "routes", "requirements", "time_limits")
_MAP_SECTIONS = ("authorities", "facts", "parameters")
_FOLDER = re.compile(r"^(\d{6})-[a-z0-9-]+$")


@dataclass
class _Raw:
    id: str
    data: dict[str, Any]
    path: Path


def load_pack_file(path: Path) -> dict[str, Any]:
    """Read one pack YAML file as a mapping (``PackError`` if it is not one)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PackError(str(path), "", f"invalid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise PackError(str(path), "", "a pack is a YAML mapping with a string id")
    return data


def _discover(root: Path) -> dict[str, _Raw]:
    raws: dict[str, _Raw] = {}
    if not root.is_dir():
        raise PackError(str(root), "", "policies directory does not exist")
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            data = load_pack_file(path)
            pid = data["id"]
            if pid in raws:
                raise PackError(pid, "id", f"defined twice: {raws[pid].path} and {path}")
            raws[pid] = _Raw(pid, data, path)
    return raws


def _key(section: str, item: Any) -> str:
    ident = item.get("id") if isinstance(item, dict) else None
    return f"{section}.{ident}"


class _Resolver:
    """Merges each pack with its ancestors and remembers who defined what."""

    def __init__(self, raws: dict[str, _Raw]) -> None:
        self.raws = raws
        self.done: dict[str, tuple[dict[str, Any], dict[str, str], str]] = {}

    def resolve(
        self, pid: str, chain: tuple[str, ...] = ()
    ) -> tuple[dict[str, Any], dict[str, str], str]:
        """(resolved raw data, origins, id of the pack whose folder holds the document)."""
        if pid in self.done:
            return self.done[pid]
        if pid in chain:
            raise PackError(pid, "extends", "cycle: " + " -> ".join((*chain, pid)))
        raw = self.raws[pid]
        data = raw.data
        parent_id = data.get("extends")
        if parent_id is None:
            origins = {_key(s, i): pid for s in _LIST_SECTIONS for i in data.get(s) or []}
            origins.update({f"{s}.{k}": pid for s in _MAP_SECTIONS for k in data.get(s) or {}})
            origins["validity"] = pid
            result = (data, origins, pid)
        else:
            if parent_id not in self.raws:
                raise PackError(pid, "extends", f"unknown parent pack {parent_id!r}")
            base, base_origins, doc_owner = self.resolve(parent_id, (*chain, pid))
            result = self._merge(pid, base, base_origins, doc_owner, data)
        self.done[pid] = result
        return result

    def _merge(
        self,
        pid: str,
        base: dict[str, Any],
        base_origins: dict[str, str],
        doc_owner: str,
        child: dict[str, Any],
    ) -> tuple[dict[str, Any], dict[str, str], str]:
        merged = copy.deepcopy(base)
        origins = dict(base_origins)
        for key, value in child.items():
            if key in _MAP_SECTIONS:
                if not isinstance(value, dict):
                    raise PackError(pid, key, "must be a mapping")
                target = merged.setdefault(key, {}) or {}
                merged[key] = target
                for name, entry in value.items():
                    if not isinstance(entry, dict):
                        raise PackError(pid, f"{key}.{name}", "must be a mapping")
                    # An override cites the child's own article: the inherited
                    # one points into the parent's text and would mislead.
                    if "article" not in entry:
                        raise PackError(
                            pid,
                            f"{key}.{name}",
                            "article is required (an override must cite its own article)",
                        )
                    old = target.get(name)
                    target[name] = {**old, **entry} if isinstance(old, dict) else entry
                    origins[f"{key}.{name}"] = pid
            elif key in _LIST_SECTIONS:
                if not isinstance(value, list):
                    raise PackError(pid, key, "must be a list")
                items = list(merged.get(key) or [])
                index = {_key(key, it): i for i, it in enumerate(items)}
                for item in value:
                    k = _key(key, item)
                    if k in index:  # same id: replaces the parent's rule in place
                        items[index[k]] = item
                    else:
                        index[k] = len(items)
                        items.append(item)
                    origins[k] = pid
                merged[key] = items
            elif key == "validity":
                merged[key] = value
                origins["validity"] = pid
            else:
                merged[key] = value
        if "document" in child:
            doc_owner = pid
        return merged, origins, doc_owner


def _field_path(data: Mapping[str, Any], loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic location into ``section.<rule id>.field`` using the rules' ids."""
    parts: list[str] = []
    node: Any = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            item = node[part]
            ident = item.get("id") if isinstance(item, dict) else None
            parts.append(str(ident) if ident else f"[{part}]")
            node = item
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)


def _validate(pid: str, data: dict[str, Any]) -> PackSpec:
    try:
        return PackSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = _field_path(data, tuple(err["loc"]))
        if err["type"] == "missing" and where.endswith("article"):
            problem = "article is required (every rule, row, parameter and time limit cites one)"
        else:
            problem = err["msg"]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise PackError(pid, where, problem + more) from None


class _Sources:
    """Source texts, read and hashed once per file."""

    def __init__(self) -> None:
        self.cache: dict[Path, tuple[str, SourceText]] = {}

    def get(self, pid: str, folder: Path, doc: Document) -> SourceText:
        return self.get_with_path(pid, folder, doc)[1]

    def get_with_path(self, pid: str, folder: Path, doc: Document) -> tuple[Path, SourceText]:
        path = (folder / doc.source).resolve()
        if path not in self.cache:
            try:
                blob = path.read_bytes()
            except OSError:
                raise PackError(pid, "document.source", f"cannot read {doc.source}") from None
            self.cache[path] = (hashlib.sha256(blob).hexdigest(), SourceText(blob.decode("utf-8")))
        digest, text = self.cache[path]
        if digest != doc.sha256:
            raise PackError(
                pid,
                "document.sha256",
                f"{doc.source} has sha256 {digest}, the pack says {doc.sha256}",
            )
        return path, text


def _check_spec(pid: str, spec: PackSpec, folder: Path) -> None:
    """Checks the schema cannot make: folder code, validity order, unique ids."""
    m = _FOLDER.match(folder.name)
    if m is None:
        raise PackError(pid, "", f"folder {folder.name!r} is not <code>-<slug>")
    if m.group(1) != spec.tenant:
        raise PackError(pid, "tenant", f"{spec.tenant} does not match folder {folder.name}")
    v = spec.validity
    if v.effective_from and v.effective_to and v.effective_to <= v.effective_from:
        raise PackError(pid, "validity", "effective_to must be after effective_from")
    for section, ids in (
        ("scope", [r.id for r in spec.scope]),
        ("routes", [r.id for r in spec.routes]),
        ("requirements", [r.id for r in spec.requirements]),
        ("time_limits", [r.id for r in spec.time_limits]),
    ):
        check_unique_ids(pid, section, ids)


def _citations(spec: PackSpec) -> Iterator[tuple[str, str, str]]:
    """Every citation of a pack: (origin key, where, article)."""
    yield "validity", "validity", spec.validity.article
    for section in ("authorities", "facts", "parameters"):
        entries: Mapping[str, Any] = getattr(spec, section)
        for name, entry in entries.items():
            yield f"{section}.{name}", f"{section}.{name}", entry.article
    for rule in spec.scope:
        yield f"scope.{rule.id}", f"scope.{rule.id}", rule.article
    for table in spec.routes:
        k = f"routes.{table.id}"
        yield k, k, table.article
        for i, band in enumerate(table.bands):
            if band.article:
                yield k, f"{k}.bands[{i}]", band.article
    for req in spec.requirements:
        yield f"requirements.{req.id}", f"requirements.{req.id}", req.article
    for tl in spec.time_limits:
        yield f"time_limits.{tl.id}", f"time_limits.{tl.id}", tl.article


class _Builder:
    """Builds each pack once (a parent before its children), reading sources once."""

    def __init__(self, raws: dict[str, _Raw]) -> None:
        self.raws = raws
        self.resolver = _Resolver(raws)
        self.sources = _Sources()
        self.specs: dict[str, PackSpec] = {}
        self.packs: dict[str, Pack] = {}

    def text_for(self, pid: str, origin: str) -> tuple[Document, SourceText]:
        """The document (and its text) that an item written by ``origin`` cites."""
        o_data, _, o_owner = self.resolver.resolve(origin)
        if origin in self.specs:
            o_doc = self.specs[origin].document
        else:
            o_doc = _validate(origin, o_data).document
        return o_doc, self.sources.get(origin, self.raws[o_owner].path.parent, o_doc)

    def build(self, pid: str) -> Pack:
        """Resolve, validate, check citations, compile and hash one pack."""
        if pid in self.packs:
            return self.packs[pid]
        data, origins, doc_owner = self.resolver.resolve(pid)
        spec = _validate(pid, data)
        self.specs[pid] = spec
        raw = self.raws[pid]
        _check_spec(pid, spec, raw.path.parent)
        parent = self.build(spec.extends) if spec.extends else None
        # Each item's article is read in the document of the pack that wrote it.
        own_path, _ = self.sources.get_with_path(
            pid, self.raws[doc_owner].path.parent, spec.document
        )
        for key, where, article in _citations(spec):
            check_citation(pid, where, article, self.text_for(pid, origins.get(key, pid))[1])

        def cited(where: str) -> Document:
            section, _, rest = where.partition(".")
            key = f"{section}.{rest.split('.')[0]}"
            return self.text_for(pid, origins.get(key, pid))[0]

        params = {n: parameter_value(pid, n, p) for n, p in spec.parameters.items()}
        unset = frozenset(n for n, p in spec.parameters.items() if p.set_by)
        compiled = compile_pack(pid, spec, params, cited, unset=unset)
        lint_scope_order(pid, spec, compiled)
        pack = Pack(
            pid,
            spec.tenant,
            spec.name,
            spec.status,
            spec,
            raw.path,
            self.digest(pid, spec, origins),
            params,
            compiled,
            parent,
            origins,
            own_path,
            self.text_for(pid, pid)[1],
            cited,
        )
        self.packs[pid] = pack
        return pack

    def digest(self, pid: str, spec: PackSpec, origins: Mapping[str, str]) -> str:
        """The pack's content hash: the resolved pack, every document it cites, who wrote what."""
        documents = {}
        for origin in sorted(set(origins.values()) | {pid}):
            documents[origin] = self.text_for(pid, origin)[0].model_dump(mode="json")
        return hashlib.sha256(
            canonical_json(
                {
                    "pack": spec.model_dump(mode="json", by_alias=True),
                    "documents": documents,
                    "origins": dict(sorted(origins.items())),
                }
            )
        ).hexdigest()


def load_registry(root: Path) -> PolicyRegistry:
    """Load, validate, lint and compile every pack under ``root`` (``policies/``).

    Raises :class:`PackError` on the first pack that fails, naming it.
    """
    raws = _discover(Path(root))
    builder = _Builder(raws)
    for pid in raws:
        builder.build(pid)
    packs = builder.packs
    check_validity_overlaps(
        (p.id, p.tenant, p.status, p.validity.effective_from, p.validity.effective_to)
        for p in packs.values()
    )
    return PolicyRegistry(list(packs.values()))
