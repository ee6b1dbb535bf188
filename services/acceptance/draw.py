"""The 双随机 draw (莱政办发〔2022〕6号 第三十四条: 绩效后评估 "通过“双随机”方式开展").

双随机 is two random choices: the projects to evaluate and the people who
evaluate them. Both are drawn here from one recorded seed so that anyone (an
auditor, the city) can redo the draw and get the same answer:

    rank(x) = SHA-256( "<seed>|<domain>|<x>" )   (hex, compared as text)

and the ``count`` members of the pool with the smallest ranks are drawn, in
rank order. The pool is sorted and deduplicated first, so its order as given
does not matter; nothing outside the pool can ever be drawn, because only pool
members are ranked. SHA-256 is used rather than a language's PRNG so that the
draw can be recomputed with any tool (``sha256sum``), not only with Python.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Draw", "draw", "new_seed", "rank"]


def new_seed() -> str:
    """128 bits from the operating system's CSPRNG, as 32 hex digits (recorded with the draw)."""
    return secrets.token_hex(16)


def rank(seed: str, domain: str, member: str) -> str:
    """The member's place in the draw: a SHA-256 digest of seed, domain and member."""
    return hashlib.sha256(f"{seed}|{domain}|{member}".encode()).hexdigest()


def _pick(seed: str, domain: str, pool: Iterable[str], count: int) -> tuple[list[str], list[str]]:
    members = sorted(set(pool))
    if count < 0 or count > len(members):
        raise ValueError(f"cannot draw {count} from a pool of {len(members)}")
    ranked = sorted(members, key=lambda m: rank(seed, domain, m))
    return members, ranked[:count]


@dataclass(frozen=True, slots=True)
class Draw:
    """A recorded draw: seed, the pools as ranked, and what was picked."""

    seed: str
    project_pool: list[str]
    projects: list[str]
    evaluator_pool: list[str]
    evaluators: list[str]


def draw(
    seed: str,
    project_pool: Sequence[str],
    count: int,
    evaluator_pool: Sequence[str] = (),
    evaluator_count: int = 0,
) -> Draw:
    """Draw ``count`` projects and ``evaluator_count`` evaluators, reproducibly from ``seed``."""
    if not seed:
        raise ValueError("a draw needs a seed")
    pool, projects = _pick(seed, "project", project_pool, count)
    people, evaluators = _pick(seed, "evaluator", evaluator_pool, evaluator_count)
    return Draw(seed, pool, projects, people, evaluators)
