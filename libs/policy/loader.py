"""Load every pack under ``policies/``: read, resolve ``extends``, validate, lint, compile.

A pack that fails any check does not load, and the whole registry refuses
with a :class:`PackError` naming the pack, the item and the problem: a
half-loaded policy set would judge some tenants by stale rules.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from libs.policy.decision import PolicyRef
from libs.policy.errors import NoPolicyInForce, PackError
from libs.policy.evaluator import CompiledPack, compile_pack
from libs.policy.lint import (
    SourceText,
    check_citation,
    check_unique_ids,
    check_validity_overlaps,
    parameter_value,
)
from libs.policy.model import Document, PackSpec, Validity

__all__ = ["Pack", "PolicyRegistry", "canonical_json", "load_pack_file", "load_registry"]

_LIST_SECTIONS = ("scope", "routes", "requirements", "time_limits")
_MAP_SECTIONS = ("authorities", "facts", "parameters")
_FOLDER = re.compile(r"^(\d{6})-[a-z0-9-]+$")


def canonical_json(value: Any) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8): the input of the pack hash."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


@dataclass(eq=False)
class Pack:
    """A loaded pack: the resolved spec, its parameters' values and its compiled rules."""

    id: str
    tenant: str
    name: str
    status: str
    spec: PackSpec
    path: Path  # the YAML file
    sha256: str  # canonical JSON of the resolved pack, parents' documents included
    params: Mapping[str, Any]
    compiled: CompiledPack
    parent: Pack | None = None
    origins: Mapping[str, str] = field(default_factory=dict)  # item -> pack id defining it
    source_path: Path | None = None  # the regulation's text (document.source, resolved)
    source_text: SourceText | None = None  # that text, split into articles
    policy_ref: PolicyRef = field(init=False)

    def __post_init__(self) -> None:
        # Built once: every decision of this pack carries the same reference.
        self.policy_ref = PolicyRef.model_construct(
            id=self.id, document=self.spec.document.number, status=self.status, sha256=self.sha256
        )

    @property
    def document(self) -> Document:
        """The regulation this pack encodes."""
        return self.spec.document

    @property
    def validity(self) -> Validity:
        """The half-open period ``[effective_from, effective_to)`` of this version."""
        return self.spec.validity

    def covers(self, on: date) -> bool:
        """Whether ``on`` falls within this version's validity."""
        v = self.spec.validity
        return (v.effective_from is None or v.effective_from <= on) and (
            v.effective_to is None or on < v.effective_to
        )

    def __repr__(self) -> str:
        return f"Pack({self.id!r}, tenant={self.tenant!r}, status={self.status!r})"


class PolicyRegistry:
    """Every loaded pack, by id and by tenant."""

    def __init__(self, packs: list[Pack]) -> None:
        self.packs: list[Pack] = packs
        self._by_id = {p.id: p for p in packs}

    def get(self, pack_id: str) -> Pack:
        """The pack with this id; ``KeyError`` when there is none."""
        return self._by_id[pack_id]

    def __contains__(self, pack_id: object) -> bool:
        return pack_id in self._by_id

    def __iter__(self) -> Iterator[Pack]:
        return iter(self.packs)

    def for_tenant(self, tenant: str) -> list[Pack]:
        """All versions of one tenant's packs, oldest first."""
        return sorted(
            (p for p in self.packs if p.tenant == tenant),
            key=lambda p: (p.validity.effective_from or date.min, p.id),
        )

    def pack_for(self, tenant: str, on: date) -> Pack:
        """The version that judges a project of ``tenant`` submitted ``on``.

        An in-force version covering the date wins; failing that a draft
        covering it (its decisions are provisional). Repealed versions never
        judge. Raises :class:`NoPolicyInForce` otherwise.
        """
        draft: Pack | None = None
        for p in self.packs:
            if p.tenant != tenant or not p.covers(on):
                continue
            if p.status == "in_force":
                return p
            if p.status == "draft":
                draft = p
        if draft is not None:
            return draft
        raise NoPolicyInForce(tenant, on)


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


def load_registry(root: Path) -> PolicyRegistry:
    """Load, validate, lint and compile every pack under ``root`` (``policies/``).

    Raises :class:`PackError` on the first pack that fails, naming it.
    """
    raws = _discover(Path(root))
    resolver = _Resolver(raws)
    sources = _Sources()
    specs: dict[str, PackSpec] = {}
    packs: dict[str, Pack] = {}

    def build(pid: str) -> Pack:
        if pid in packs:
            return packs[pid]
        data, origins, doc_owner = resolver.resolve(pid)
        spec = _validate(pid, data)
        specs[pid] = spec
        raw = raws[pid]
        m = _FOLDER.match(raw.path.parent.name)
        if m is None:
            raise PackError(pid, "", f"folder {raw.path.parent.name!r} is not <code>-<slug>")
        if m.group(1) != spec.tenant:
            raise PackError(
                pid, "tenant", f"{spec.tenant} does not match folder {raw.path.parent.name}"
            )
        v = spec.validity
        if v.effective_from and v.effective_to and v.effective_to <= v.effective_from:
            raise PackError(pid, "validity", "effective_to must be after effective_from")
        parent = build(spec.extends) if spec.extends else None
        for section, ids in (
            ("scope", [r.id for r in spec.scope]),
            ("routes", [r.id for r in spec.routes]),
            ("requirements", [r.id for r in spec.requirements]),
            ("time_limits", [r.id for r in spec.time_limits]),
        ):
            check_unique_ids(pid, section, ids)

        # Each item's article is read in the document of the pack that wrote it.
        own_path, own_text = sources.get_with_path(pid, raws[doc_owner].path.parent, spec.document)

        def text_for(origin: str) -> tuple[Document, SourceText]:
            if origin == pid:
                return spec.document, own_text
            o_data, _, o_owner = resolver.resolve(origin)
            o_doc = (
                specs[origin].document if origin in specs else _validate(origin, o_data).document
            )
            return o_doc, sources.get(origin, raws[o_owner].path.parent, o_doc)

        def cited(where: str) -> Document:
            section, _, rest = where.partition(".")
            key = f"{section}.{rest.split('.')[0]}"
            return text_for(origins.get(key, pid))[0]

        def cite(key: str, where: str, article: str) -> None:
            check_citation(pid, where, article, text_for(origins.get(key, pid))[1])

        cite("validity", "validity", v.article)
        for role, auth in spec.authorities.items():
            cite(f"authorities.{role}", f"authorities.{role}", auth.article)
        for name, fd in spec.facts.items():
            cite(f"facts.{name}", f"facts.{name}", fd.article)
        for name, p in spec.parameters.items():
            cite(f"parameters.{name}", f"parameters.{name}", p.article)
        for rule in spec.scope:
            cite(f"scope.{rule.id}", f"scope.{rule.id}", rule.article)
        for table in spec.routes:
            k = f"routes.{table.id}"
            cite(k, k, table.article)
            for i, band in enumerate(table.bands):
                if band.article:
                    cite(k, f"{k}.bands[{i}]", band.article)
        for req in spec.requirements:
            cite(f"requirements.{req.id}", f"requirements.{req.id}", req.article)
        for tl in spec.time_limits:
            cite(f"time_limits.{tl.id}", f"time_limits.{tl.id}", tl.article)

        params = {n: parameter_value(pid, n, p) for n, p in spec.parameters.items()}
        compiled = compile_pack(pid, spec, params, cited)

        documents = {}
        for origin in sorted(set(origins.values()) | {pid}):
            documents[origin] = text_for(origin)[0].model_dump(mode="json")
        digest = hashlib.sha256(
            canonical_json(
                {
                    "pack": spec.model_dump(mode="json", by_alias=True),
                    "documents": documents,
                    "origins": dict(sorted(origins.items())),
                }
            )
        ).hexdigest()
        pack = Pack(
            pid,
            spec.tenant,
            spec.name,
            spec.status,
            spec,
            raw.path,
            digest,
            params,
            compiled,
            parent,
            origins,
            own_path,
            own_text,
        )
        packs[pid] = pack
        return pack

    for pid in raws:
        build(pid)
    check_validity_overlaps(
        (p.id, p.tenant, p.status, p.validity.effective_from, p.validity.effective_to)
        for p in packs.values()
    )
    return PolicyRegistry(list(packs.values()))
