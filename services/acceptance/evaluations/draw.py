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

The seed is never a caller's: the server draws it from the operating system's
CSPRNG and publishes ``commitment(seed) = SHA-256(seed)`` before the pool is
fixed, and reveals the seed only with the result. Whoever fixes the pool cannot
know the seed, and whoever knows the commitment cannot find another seed with
the same hash, so neither the seed nor the pool can be chosen to fit the other
(issue 16: with a caller's seed, 25 tries steered a draw).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["METHOD", "Draw", "commitment", "draw", "new_seed", "rank"]

#: How anyone redoes a draw, published with it.
METHOD = (
    "commitment = sha256(seed); rank = sha256(seed|domain|member), smallest first "
    "(services/acceptance/evaluations/draw.py)"
)


def new_seed() -> str:
    """128 bits from the operating system's CSPRNG, as 32 hex digits (recorded with the draw)."""
    return secrets.token_hex(16)


def commitment(seed: str) -> str:
    """The SHA-256 (hex) of the seed, published before the pool is fixed."""
    return hashlib.sha256(seed.encode()).hexdigest()


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
