"""A loaded pack and the registry of every pack, by id and by tenant.

Kept apart from the loader (which builds packs) so that the evaluator and the
facts validator, which only read a pack, do not import the loader.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from libs.policy.compiled import CompiledPack
from libs.policy.decision import PolicyRef
from libs.policy.errors import NoPolicyInForce
from libs.policy.lint import SourceText
from libs.policy.model import Document, PackSpec, Validity
from libs.policy.parameters import ParameterSetting

__all__ = ["Pack", "PolicyRegistry", "canonical_json"]


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
    # The document an item's article refers to (kept to recompile with set parameters).
    cited: Callable[[str], Document] | None = None
    # Values authorities set for the parameters marked set_by (libs/policy/bind.py).
    settings: Mapping[str, ParameterSetting] = field(default_factory=dict)
    policy_ref: PolicyRef = field(init=False)
    unset: frozenset[str] = field(init=False)
    base_reasons: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        # Built once: every decision of this pack carries the same reference.
        self.policy_ref = PolicyRef.model_construct(
            id=self.id, document=self.spec.document.number, status=self.status, sha256=self.sha256
        )
        self.unset = frozenset(
            n for n, p in self.spec.parameters.items() if p.set_by and n not in self.settings
        )
        self.base_reasons = _status_reasons(self.spec)

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


def _status_reasons(spec: PackSpec) -> tuple[str, ...]:
    """Why every decision of this version is provisional (none when it is in force)."""
    if spec.status != "draft":
        return ()
    reasons = [f"《{spec.document.title}》为{spec.document.number}，尚未印发施行，本判定为暂定结论"]
    if spec.validity.effective_from is None:
        reasons.append(f"施行日期尚未公布（{spec.validity.article}），待正式印发后按印发日期施行")
    return tuple(reasons)


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
