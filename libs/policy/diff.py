"""Compare two packs parameter by parameter and rule by rule, with their articles.

Used to review a new version of a tenant's pack against the old one, or two
jurisdictions against each other (``govproj policy diff``).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from libs.policy.pack import Pack
from libs.policy.render import format_value

__all__ = ["Change", "PackDiff", "diff_packs", "diff_text"]

_LIST_SECTIONS = ("scope", "routes", "requirements", "time_limits")
_MAP_SECTIONS = ("authorities", "facts", "parameters")


class Change(BaseModel):
    """One difference: an item added, removed, or one of its fields changed."""

    model_config = ConfigDict(frozen=True)

    section: str
    key: str  # the rule id, parameter name, role, or field of the document/validity
    kind: Literal["added", "removed", "changed", "moved"]
    field: str | None = None
    before: Any = None
    after: Any = None
    article_before: str | None = None
    article_after: str | None = None


class PackDiff(BaseModel):
    """All differences from pack ``a`` to pack ``b``."""

    model_config = ConfigDict(frozen=True)

    a: str
    b: str
    a_sha256: str
    b_sha256: str
    changes: list[Change]

    @property
    def identical(self) -> bool:
        """Whether the two packs decide alike (no rule, parameter or document changed)."""
        return not self.changes


def _dump(pack: Pack) -> dict[str, Any]:
    out: dict[str, Any] = pack.spec.model_dump(mode="json", by_alias=True)
    return out


def _fields(section: str, key: str, a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    changes = []
    art_a, art_b = a.get("article"), b.get("article")
    for name in [*a, *(k for k in b if k not in a)]:
        if a.get(name) != b.get(name):
            changes.append(
                Change(
                    section=section,
                    key=key,
                    kind="changed",
                    field=name,
                    before=a.get(name),
                    after=b.get(name),
                    article_before=art_a,
                    article_after=art_b,
                )
            )
    return changes


def diff_packs(a: Pack, b: Pack) -> PackDiff:
    """Every difference from ``a`` to ``b``: document, validity, parameters, rules."""
    da, db = _dump(a), _dump(b)
    changes: list[Change] = []
    for section in ("document", "validity"):
        changes.extend(_fields(section, section, da[section], db[section]))
    if da["status"] != db["status"]:
        changes.append(
            Change(
                section="status",
                key="status",
                kind="changed",
                before=da["status"],
                after=db["status"],
            )
        )
    for section in _MAP_SECTIONS:
        changes.extend(_keyed(section, da[section], db[section]))
    for section in _LIST_SECTIONS:
        la = {r["id"]: r for r in da[section]}
        lb = {r["id"]: r for r in db[section]}
        changes.extend(_keyed(section, la, lb))
        # Order decides for scope rules and route tables (the first that holds wins).
        common_a = [k for k in la if k in lb]
        common_b = [k for k in lb if k in la]
        if section in ("scope", "routes") and common_a != common_b:
            changes.append(
                Change(section=section, key="*", kind="moved", before=common_a, after=common_b)
            )
    return PackDiff(a=a.id, b=b.id, a_sha256=a.sha256, b_sha256=b.sha256, changes=changes)


def _keyed(section: str, ma: dict[str, Any], mb: dict[str, Any]) -> list[Change]:
    """Removed, added and changed entries of one keyed section, in ``a``'s order then ``b``'s.

    Map sections (parameters) and list sections (rules, keyed by ``id``) differ only
    in how their entries are keyed, so both are compared here once.
    """
    changes: list[Change] = []
    for key in [*ma, *(k for k in mb if k not in ma)]:
        if key in ma and key in mb:
            changes.extend(_fields(section, key, ma[key], mb[key]))
            continue
        # On one side only: an entry ``b`` dropped or one it brought in, with its article.
        before, after = ma.get(key), mb.get(key)
        changes.append(
            Change(
                section=section,
                key=key,
                kind="added" if before is None else "removed",
                before=before,
                after=after,
                article_before=before.get("article") if before is not None else None,
                article_after=after.get("article") if after is not None else None,
            )
        )
    return changes


def _show(value: Any, kind: str | None) -> str:
    if kind in ("amount", "ratio", "period", "month_day") and value is not None:
        return format_value(value, kind)
    return json.dumps(value, ensure_ascii=False, default=str)


def diff_text(diff: PackDiff, a: Pack | None = None, b: Pack | None = None) -> str:
    """Render a :class:`PackDiff` as review text, one change a line, with articles."""
    lines = [f"--- {diff.a} ({diff.a_sha256[:12]})", f"+++ {diff.b} ({diff.b_sha256[:12]})"]
    if not diff.changes:
        lines.append("（无差异）")
    for c in diff.changes:
        where = (
            f"{c.section}.{c.key}"
            if c.section not in ("document", "validity", "status")
            else c.section
        )
        if c.kind == "added":
            lines.append(f"+ {where}（{c.article_after or '无条款'}）")
        elif c.kind == "removed":
            lines.append(f"- {where}（{c.article_before or '无条款'}）")
        elif c.kind == "moved":
            lines.append(f"~ {c.section} 顺序: {', '.join(c.before)} → {', '.join(c.after)}")
        else:
            kind = None
            if c.section == "parameters" and c.field == "value":
                pa = a.spec.parameters.get(c.key) if a else None
                kind = pa.type if pa else None
            cite = ""
            if c.article_before or c.article_after:
                cite = (
                    f"（{c.article_before}）"
                    if c.article_before == c.article_after
                    else f"（{c.article_before or '无'} → {c.article_after or '无'}）"
                )
            lines.append(
                f"~ {where}.{c.field}: {_show(c.before, kind)} → {_show(c.after, kind)}{cite}"
            )
    return "\n".join(lines) + "\n"
