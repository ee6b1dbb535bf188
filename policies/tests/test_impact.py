"""What-if impact: re-deciding stored submissions under a candidate pack.

The seeded tenant is 郁南县: a spread of submissions decided by the pack in
force, then a candidate that lowers 第十条's approval threshold from 50万 to 40万.
Exactly the filed projects from 40万 (含) to 50万 must move from 备案 to 立项.
"""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from libs.policy import PackError, evaluate, validate_facts
from libs.policy.candidate import load_candidate
from libs.policy.impact import StoredSubmission, impact, impact_text

from .support import POLICIES, registry

YUNAN = POLICIES / "445322-yunan" / "2024-08-17.yaml"
AMOUNTS = [50_000, 99_999, 100_000, 399_999, 400_000, 450_000, 499_999, 500_000, 2_000_000]


def seeded() -> list[StoredSubmission]:
    """郁南's submissions, each with the decision the pack in force stored for it."""
    pack = registry().pack_for("445322", date(2025, 3, 1))
    out = []
    combos = itertools.product(
        AMOUNTS,
        ["public", "professional"],
        [
            {},
            {"funding": "non_fiscal"},
            {"fixed_asset_investment": True},
            {"in_annual_plan": False},
        ],
    )
    for i, (amount, cls, extra) in enumerate(combos):
        on = date(2025, 1, 1 + i % 28)
        facts: dict[str, Any] = {
            "project_class": cls,
            "service_types": ["software_development"],
            "amount": amount,
            "submitted_on": on.isoformat(),
            **extra,
        }
        d = evaluate(pack, validate_facts(pack, facts), on)
        out.append(StoredSubmission(f"p{i}", 1, on, facts, d.model_dump(mode="json"), f"项目{i}"))
    return out


def candidate(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "candidate.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def lower_threshold(tmp_path: Path) -> Path:
    text = YUNAN.read_text(encoding="utf-8").replace("id: yunan-2024", "id: yunan-candidate", 1)
    old = "approval_min: {type: amount, value: 500000"
    assert old in text
    return candidate(tmp_path, text.replace(old, "approval_min: {type: amount, value: 400000"))


def test_lowering_the_threshold_moves_exactly_the_filed_projects_between_40_and_50_wan(
    lower_threshold: Path,
) -> None:
    stored = seeded()
    report = impact(load_candidate(POLICIES, lower_threshold), stored)
    expected = {
        s.project_id
        for s in stored
        if 400_000 <= s.facts["amount"] < 500_000 and s.decision["route"]["code"] == "filing"
    }
    assert len(expected) == 6  # 40万, 45万, 49.9999万 × public/professional
    assert {p.project_id for p in report.projects} == expected
    assert all((p.route_before, p.route_after) == ("filing", "approval") for p in report.projects)
    [move] = report.moves
    assert (move.before, move.after, move.count, move.amount) == (
        "filing",
        "approval",
        6,
        2 * (400_000 + 450_000 + 499_999),
    )
    assert report.examined == len(stored) and report.skipped == []
    assert next(iter(report.articles)) == "第十条"
    text = impact_text(report)
    assert "备案 → 立项审批：6 个，合计 269.9998万元" in text
    assert "p1" not in text  # people read names, not ids


def test_the_pack_in_force_as_candidate_changes_nothing(tmp_path: Path) -> None:
    same = candidate(
        tmp_path, YUNAN.read_text(encoding="utf-8").replace("id: yunan-2024", "id: yunan-same", 1)
    )
    report = impact(load_candidate(POLICIES, same), seeded())
    assert (report.changed, report.projects, report.moves) == (0, [], [])


def test_since_keeps_later_submissions_only(lower_threshold: Path) -> None:
    report = impact(load_candidate(POLICIES, lower_threshold), seeded(), since=date(2025, 1, 20))
    assert 0 < report.examined < len(seeded())
    assert all(p.submitted_on >= date(2025, 1, 20) for p in report.projects)


def test_a_candidate_that_does_not_load_is_refused(tmp_path: Path) -> None:
    text = YUNAN.read_text(encoding="utf-8").replace("id: yunan-2024", "id: yunan-bad", 1)
    bad = candidate(
        tmp_path,
        text.replace(
            "approval_min: {type: amount, value: 500000",
            "approval_min: {type: amount, value: 50000",
        ),
    )
    with pytest.raises(PackError, match=r"routes\.by_amount"):
        load_candidate(POLICIES, bad)


def test_facts_the_candidate_cannot_judge_are_skipped_not_guessed(lower_threshold: Path) -> None:
    stored = seeded()[:3]
    broken = StoredSubmission("x", 1, date(2025, 1, 1), {"amount": 1}, stored[0].decision)
    report = impact(load_candidate(POLICIES, lower_threshold), [*stored, broken])
    assert [s.project_id for s in report.skipped] == ["x"]


def test_the_cli_reports_the_same_moves_from_exported_submissions(
    lower_threshold: Path, tmp_path: Path
) -> None:
    import json

    from typer.testing import CliRunner

    from govproj.commands.policy import app

    stored = tmp_path / "stored.jsonl"
    stored.write_text(
        "\n".join(
            json.dumps(
                {
                    "project_id": s.project_id,
                    "submission": s.submission,
                    "submitted_on": s.submitted_on.isoformat(),
                    "facts": s.facts,
                    "decision": s.decision,
                    "name": s.name,
                },
                ensure_ascii=False,
            )
            for s in seeded()
        ),
        encoding="utf-8",
    )
    args = ["impact", "--tenant", "445322", "--pack", str(lower_threshold)]
    args += ["--stored", str(stored), "--policies", str(POLICIES)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "备案 → 立项审批：6 个，合计 269.9998万元" in result.stdout
    assert "第十条：6 个项目" in result.stdout
    wrong = CliRunner().invoke(app, [*args[:2], "440804", *args[3:]])
    assert wrong.exit_code == 1 and "不是 440804" in wrong.output
