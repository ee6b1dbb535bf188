"""Helpers shared by the policy-pack tests (test_chaozhou, test_potou, test_yunan, test_laizhou).

Each pack's tests used to carry their own copy of these: the registry loader, the
citation checker and the requirement/time-limit filters. The copies had drifted (one
checker knew 第N款 and the trace, the other did not), so they live here once, and each
module says with keyword options which checks it asks for. What is particular to one
pack (its ``project()`` defaults, ``decide()`` tenant and date, constants) stays in
that pack's module.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from libs.policy import Pack, PolicyRegistry, evaluate, load_registry, validate_facts
from libs.policy.lint import cn_number
from libs.vocab import REQUIREMENT_LABELS, SERVICE_TYPES, TIME_LIMIT_LABELS

__all__ = [
    "POLICIES",
    "check_citations",
    "check_proposed_codes",
    "codes",
    "decision",
    "limit",
    "mandatory_duties",
    "one",
    "registry",
    "req",
    "requirements",
    "rule_articles",
    "service_types",
    "source_text",
    "squash",
    "time_limit",
]

Decision = dict[str, Any]
"""A decision as JSON (``evaluate(...).model_dump(mode="json")``): what the API returns."""

POLICIES = Path(__file__).resolve().parents[1]
"""The policies/ directory: every pack below it is loaded, as the services load them."""


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
@cache
def registry() -> PolicyRegistry:
    """The registry of every pack under policies/, loaded once per test session.

    Loading parses and compiles every pack (and the loader refuses a bad one), which is
    too slow to repeat per test. The tests only read packs, so one load serves all four
    modules.
    """
    return load_registry(POLICIES)


def source_text(pack_dir: str) -> str:
    """The regulation's text, ``policies/<pack_dir>/source.txt``, as the citations quote it."""
    return (POLICIES / pack_dir / "source.txt").read_text(encoding="utf-8")


def decision(pack: Pack, facts: dict[str, Any], on: date) -> Decision:
    """The JSON decision of ``pack`` for ``facts`` (validated first) submitted ``on``."""
    result: Decision = evaluate(pack, validate_facts(pack, facts), on).model_dump(mode="json")
    return result


# --------------------------------------------------------------------------------------
# Filters over a decision
# --------------------------------------------------------------------------------------
def requirements(
    d: Decision, *, stage: str | None = None, code: str | None = None
) -> list[dict[str, Any]]:
    """The decision's requirements, narrowed to ``stage`` and/or ``code`` when given."""
    return [
        r
        for r in d["requirements"]
        if (stage is None or r["stage"] == stage) and (code is None or r["code"] == code)
    ]


def req(d: Decision, code: str) -> list[dict[str, Any]]:
    """The decision's requirements with ``code``, at any stage."""
    return requirements(d, code=code)


def codes(d: Decision) -> set[str]:
    """The codes of every requirement of the decision."""
    return {r["code"] for r in d["requirements"]}


def one(d: Decision, code: str, stage: str) -> dict[str, Any] | None:
    """The requirement ``code`` at ``stage``, or None; more than one is a test failure."""
    found = requirements(d, stage=stage, code=code)
    assert len(found) <= 1, found
    return found[0] if found else None


def limit(d: Decision, code: str) -> list[dict[str, Any]]:
    """The decision's time limits with ``code``."""
    return [t for t in d["time_limits"] if t["code"] == code]


def time_limit(d: Decision, code: str) -> dict[str, Any] | None:
    """The time limit ``code``, or None; more than one is a test failure."""
    found = limit(d, code)
    assert len(found) <= 1, found
    return found[0] if found else None


def mandatory_duties(d: Decision) -> set[tuple[str, str]]:
    """``(code, stage)`` of every mandatory requirement: what binds the project for sure."""
    return {(r["code"], r["stage"]) for r in d["requirements"] if r["mandatory"]}


def rule_articles(pack: Pack) -> list[str]:
    """The article every rule of ``pack`` cites: authorities, facts, parameters, scope,
    routes and their bands, requirements, time limits and the validity."""
    spec = pack.spec
    articles = [a.article for a in spec.authorities.values()]
    articles += [f.article for f in spec.facts.values()]
    articles += [p.article for p in spec.parameters.values()]
    articles += [r.article for r in spec.scope]
    articles += [t.article for t in spec.routes]
    articles += [b.article for t in spec.routes for b in t.bands if b.article]
    articles += [r.article for r in spec.requirements]
    articles += [t.article for t in spec.time_limits]
    articles.append(spec.validity.article)
    return articles


# --------------------------------------------------------------------------------------
# Quotes and citations
# --------------------------------------------------------------------------------------
def squash(text: str) -> str:
    """``text`` without blanks.

    The sources wrap lines mid-sentence (even mid-number: "1\\n00 万元") and pad with
    full-width spaces, so a quote is compared with the source with both squashed.
    """
    return re.sub(r"[\s\u3000]+", "", text)


# An article starts a line: "第十条　……" (indent and separator may be full-width spaces).
_HEAD = r"(?m)^[ \t\u3000]*{}[ \t\u3000]"
_ANY_ARTICLE = re.compile(_HEAD.format("第[一二三四五六七八九十百]+条"))
_CITATION = re.compile(
    r"^(?P<article>第[一二三四五六七八九十百]+条)"
    r"(?:第(?P<paragraph>[一二三四五六七八九十]+)款)?"
    r"(?:第（(?P<item>[一二三四五六七八九十]+)）项)?$"
)


def check_citations(
    decision: Decision,
    source: str,
    *,
    title: str | None = None,
    include_trace: bool = False,
    paragraphs: bool = False,
) -> None:
    """Every route, requirement and time-limit line cites 第N条[第N款][第（N）项] of ``source``.

    Always: the citation is well formed, 第N条 heads a line of ``source``, and a cited
    第（N）项 stands in that article's body (up to the next article's head).

    Options, each only making the check stricter:

    - ``paragraphs``: accept 第N款. Off, a 款 citation is malformed (the Chaozhou and
      Potou packs never cite one). On, the article must have at least ``max(2, N)``
      blank-line separated paragraphs: citing a 款 implies more than one, and 第N款
      implies N. A page break can split a paragraph in two, so this is a lower bound.
    - ``include_trace``: check the trace entries' articles as well.
    - ``title``: a line with an explanation must open with 依据《title》<article>，.
    """
    lines = [decision["route"], *decision["requirements"], *decision["time_limits"]]
    if include_trace:
        lines += decision["trace"]
    for line in lines:
        article = line["article"]
        m = _CITATION.match(article or "")
        assert m, f"malformed citation {article!r} in {line}"
        assert paragraphs or not m["paragraph"], f"malformed citation {article!r} in {line}"
        head = re.search(_HEAD.format(m["article"]), source)
        assert head, f"{m['article']} is not an article of the source ({line})"
        nxt = _ANY_ARTICLE.search(source, head.end())
        body = source[head.end() : nxt.start() if nxt else len(source)]
        if m["paragraph"]:
            found = [p for p in re.split(r"\n\s*\n", body) if p.strip()]
            assert len(found) >= 2, f"{article}: {m['article']} has one paragraph"
            assert len(found) >= cn_number(m["paragraph"]), f"{article}: too few paragraphs"
        if m["item"]:
            assert f"（{m['item']}）" in body, (
                f"{article}: no item （{m['item']}） in {m['article']}"
            )
        if title is not None and "explanation" in line:
            assert line["explanation"].startswith(f"依据《{title}》{article}，"), line


# --------------------------------------------------------------------------------------
# Properties and codes
# --------------------------------------------------------------------------------------
def service_types(max_size: int) -> st.SearchStrategy[list[str]]:
    """One to ``max_size`` distinct service types of vocabulary.md, for the property tests."""
    return st.lists(
        st.sampled_from(list(SERVICE_TYPES)), min_size=1, max_size=max_size, unique=True
    )


def check_proposed_codes(pack: Pack, proposed: set[str]) -> None:
    """Codes outside vocabulary.md are only ``proposed`` ones, and each has a Chinese label.

    A subset, not equality: a proposed code may join the vocabulary at any time.
    """
    spec = pack.spec
    used = {r.code for r in spec.requirements} | {t.code for t in spec.time_limits}
    assert used - set(REQUIREMENT_LABELS) - set(TIME_LIMIT_LABELS) <= proposed
    for rule in [*spec.requirements, *spec.time_limits]:
        if rule.code in proposed:
            assert rule.label, f"{rule.id}: a code outside vocabulary.md needs a Chinese label"
