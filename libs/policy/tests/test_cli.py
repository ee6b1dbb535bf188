"""`govproj policy`: exit codes 0/1/2/3 and their outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govproj.commands.policy import app

from .conftest import FIXTURES, project, write_pack, yunan_data

runner = CliRunner()


@pytest.fixture(autouse=True)
def _policies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVPROJ_POLICIES_DIR", str(FIXTURES))


def _facts(tmp_path: Path, facts: dict[str, Any]) -> str:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_evaluate_prints_the_decision(tmp_path: Path) -> None:
    facts = project(amount=600_000, submitted_on="2025-03-01")
    result = runner.invoke(app, ["evaluate", "--tenant", "445322", _facts(tmp_path, facts)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["route"]["code"] == "approval"
    assert doc["evaluated_on"] == "2025-03-01"
    assert "依据《郁南县政务信息化服务项目管理办法》第十条" in result.stdout  # not \\u-escaped


def test_evaluate_reads_stdin() -> None:
    facts = json.dumps(project(amount=50_000, submitted_on="2025-03-01"))
    result = runner.invoke(app, ["evaluate", "--tenant", "445322", "-"], input=facts)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["route"]["code"] == "self_managed"


def test_invalid_facts_exit_2_with_a_problem(tmp_path: Path) -> None:
    facts = project(amount=600_000.5, submitted_on="2025-03-01")
    result = runner.invoke(app, ["evaluate", "--tenant", "445322", _facts(tmp_path, facts)])
    assert result.exit_code == 2
    problem = json.loads(result.stderr)
    assert problem["type"] == "https://govproj.cn/problems/invalid_facts"
    assert problem["title"] == "项目事实不合法" and problem["status"] == 422
    assert problem["field"] == "amount" and problem["detail"].startswith("amount: ")
    assert result.stdout == ""


def test_malformed_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--tenant", "445322", str(path)])
    assert result.exit_code == 2
    assert json.loads(result.stderr)["field"] == "body"


def test_bad_submitted_on_exits_2(tmp_path: Path) -> None:
    facts = project(submitted_on="2025-13-01")
    result = runner.invoke(app, ["evaluate", "--tenant", "445322", _facts(tmp_path, facts)])
    assert result.exit_code == 2
    assert json.loads(result.stderr)["field"] == "submitted_on"


def test_no_policy_in_force_exits_3(tmp_path: Path) -> None:
    facts = project(submitted_on="2024-08-16")  # the day before issue
    result = runner.invoke(app, ["evaluate", "--tenant", "445322", _facts(tmp_path, facts)])
    assert result.exit_code == 3
    problem = json.loads(result.stderr)
    assert problem["type"] == "https://govproj.cn/problems/no_policy_in_force"
    assert problem["title"] == "无适用的政策"
    assert "445322" in problem["detail"] and "2024-08-16" in problem["detail"]


def test_unknown_tenant_exits_3(tmp_path: Path) -> None:
    facts = project(submitted_on="2025-03-01")
    result = runner.invoke(app, ["evaluate", "--tenant", "110000", _facts(tmp_path, facts)])
    assert result.exit_code == 3


def test_explain_prints_chinese(tmp_path: Path) -> None:
    facts = project(amount=1_500_000, submitted_on="2025-03-01")
    result = runner.invoke(app, ["explain", "--tenant", "445322", _facts(tmp_path, facts)])
    assert result.exit_code == 0
    assert "管理方式：立项审批" in result.stdout and "总投资150万元≥50万元" in result.stdout


def test_validate_lists_packs() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0
    assert result.stdout.startswith("OK fixture-yunan-2024 445322 郁南县 in_force")
    result = runner.invoke(app, ["validate", str(FIXTURES / "445322-yunan")])
    assert result.exit_code == 0 and "fixture-yunan-2024" in result.stdout


def test_validate_names_the_failure(tmp_path: Path) -> None:
    data = yunan_data()
    data["routes"][0]["bands"][1]["gte"] = 200_000
    write_pack(tmp_path / "445322-yunan", data)
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "fixture-yunan-2024: routes.by_amount: gap between 100000 and 199999" in result.stderr


def test_diff_two_packs(tmp_path: Path) -> None:
    data = yunan_data()
    write_pack(tmp_path / "445322-yunan", data, "2024-08-17.yaml")
    data = yunan_data()
    data["id"] = "fixture-yunan-2029"
    data["validity"] = {
        "effective_from": "2029-08-17",
        "effective_to": None,
        "article": "第三十一条",
    }
    data["parameters"]["approval_min"]["value"] = 800_000
    data["requirements"] = [r for r in data["requirements"] if r["id"] != "ipv6"]
    write_pack(tmp_path / "445322-yunan", data, "2029-08-17.yaml")
    result = runner.invoke(
        app, ["diff", "fixture-yunan-2024", "fixture-yunan-2029", "--policies", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "~ parameters.approval_min.value: 50万元 → 80万元（第十条）" in result.stdout
    assert "- requirements.ipv6（第二十一条）" in result.stdout
    assert "~ validity.effective_from" in result.stdout
    result = runner.invoke(
        app, ["diff", "445322", "fixture-yunan-2029", "--json", "--policies", str(tmp_path)]
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["a"] == "fixture-yunan-2024"


def test_diff_unknown_pack_exits_1() -> None:
    result = runner.invoke(app, ["diff", "nope", "445322"])
    assert result.exit_code == 1


def test_cli_module_runs_as_govproj_policy() -> None:
    from govproj.cli import app as root

    result = runner.invoke(root, ["policy", "validate", str(FIXTURES)])
    assert result.exit_code == 0, result.output
