"""The 双随机 draw: reproducible from its recorded seed, never outside its pool."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from services.acceptance.evaluations.draw import commitment, draw, new_seed, rank

POOL = [str(uuid.UUID(int=i)) for i in range(1, 41)]


def test_same_seed_and_pool_give_the_same_draw_whatever_the_pool_order() -> None:
    seed = new_seed()
    first = draw(seed, POOL, 5, ["专家甲", "专家乙", "专家丙", "专家丁"], 2)
    again = draw(
        seed, list(reversed(POOL)) + POOL[:3], 5, ["专家丁", "专家丙", "专家乙", "专家甲"], 2
    )
    assert first == again
    assert len(first.projects) == 5 and len(set(first.projects)) == 5
    assert len(first.evaluators) == 2


def test_the_draw_can_be_recomputed_with_sha256_alone() -> None:
    seed = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    result = draw(seed, POOL, 3)
    by_hand = sorted(
        POOL, key=lambda m: hashlib.sha256(f"{seed}|project|{m}".encode()).hexdigest()
    )[:3]
    assert result.projects == by_hand
    assert (
        rank(seed, "project", POOL[0])
        == hashlib.sha256(f"{seed}|project|{POOL[0]}".encode()).hexdigest()
    )


def test_never_picks_outside_the_pool_over_many_seeds() -> None:
    pool = POOL[:7]
    seen: set[str] = set()
    for i in range(500):
        picked = draw(f"seed-{i}", pool, 3).projects
        assert set(picked) <= set(pool)
        seen.update(picked)
    # And every member can be drawn: the ranking is not biased to a corner of the pool.
    assert seen == set(pool)


def test_different_seeds_draw_differently_and_bad_counts_are_refused() -> None:
    assert draw("a", POOL, 5).projects != draw("b", POOL, 5).projects
    with pytest.raises(ValueError):
        draw("a", POOL[:2], 3)
    with pytest.raises(ValueError):
        draw("", POOL, 1)
    assert draw("a", POOL, 0).projects == []


def test_the_commitment_is_the_sha256_of_the_seed_and_each_seed_is_fresh() -> None:
    seeds = {new_seed() for _ in range(100)}
    assert len(seeds) == 100 and all(len(s) == 32 for s in seeds)
    seed = next(iter(seeds))
    assert commitment(seed) == hashlib.sha256(seed.encode()).hexdigest()
    assert commitment(seed) != commitment(seed + "0")
