"""Loading refuses every pack that would judge wrongly, naming the pack, item and problem."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from libs.policy import NoPolicyInForce, PackError, PolicyRegistry, load_registry

from .conftest import FIXTURES, Mutator, project, write_pack, yunan_data

Broken = Callable[[Mutator], Path]


def _refused(broken: Broken, mutate: Mutator) -> str:
    root = broken(mutate)
    with pytest.raises(PackError) as info:
        load_registry(root)
    return str(info.value)


def _band(data: dict[str, Any], i: int) -> dict[str, Any]:
    band: dict[str, Any] = data["routes"][0]["bands"][i]
    return band


def test_fixture_pack_loads_with_a_stable_hash(registry: PolicyRegistry) -> None:
    again = load_registry(FIXTURES)
    assert [p.id for p in registry.packs] == ["fixture-yunan-2024"]
    assert registry.get("fixture-yunan-2024").sha256 == again.get("fixture-yunan-2024").sha256


def test_hash_changes_with_any_parameter(broken: Broken, registry: PolicyRegistry) -> None:
    root = broken(lambda d: d["parameters"]["supervision_min"].update(value=1_000_001))
    assert load_registry(root).packs[0].sha256 != registry.packs[0].sha256


def test_band_gap_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: _band(d, 1).update(gte=200_000))
    assert msg == "fixture-yunan-2024: routes.by_amount: gap between 100000 and 199999"


def test_band_overlap_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: _band(d, 1).update(lt=600_000, gte="filing_min"))
    assert msg.startswith("fixture-yunan-2024: routes.by_amount: overlap between 500000 and 599999")


def test_band_gap_at_the_top_is_refused(broken: Broken) -> None:
    def cap(d: dict[str, Any]) -> None:
        _band(d, 0)["lte"] = 10_000_000

    msg = _refused(broken, cap)
    assert msg == "fixture-yunan-2024: routes.by_amount: gap from 10000001 upwards"


def test_band_on_an_unknown_parameter_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: _band(d, 0).update(gte="approval_minimum"))
    assert "routes.by_amount.bands[0]" in msg and "approval_minimum" in msg


def test_cel_that_does_not_compile_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["scope"][0].update(when="classified &&"))
    assert msg.startswith("fixture-yunan-2024: scope.classified: when does not compile")


def test_cel_reading_an_unknown_fact_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["requirements"][0].update(when="projectclass == 'x'"))
    assert (
        msg == "fixture-yunan-2024: requirements.demand_summary: when: unknown fact 'projectclass'"
    )


def test_cel_reading_an_unknown_parameter_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["requirements"][11].update(when="amount >= params.nope"))
    assert "requirements.supervision_mandatory: when: unknown parameter params.nope" in msg


def test_cel_with_a_type_error_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["scope"][0].update(when="amount * 0.5 > 1.0"))
    assert "scope.classified: when fails on sample facts" in msg


def test_cel_that_is_not_boolean_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["scope"][0].update(when="amount"))
    assert msg.endswith("scope.classified: when must give a bool, got int")


def test_scope_rule_cannot_read_the_route(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["scope"][0].update(when="route == 'approval'"))
    assert "scope.classified: when: route is only known to requirements" in msg


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["requirements"][0].pop("article"), "requirements.demand_summary.article"),
        (lambda d: d["scope"][1].pop("article"), "scope.excluded_kinds.article"),
        (
            lambda d: d["parameters"]["approval_min"].pop("article"),
            "parameters.approval_min.article",
        ),
        (lambda d: d["time_limits"][1].pop("article"), "time_limits.self_evaluation.article"),
        (lambda d: d["routes"][0].pop("article"), "routes.by_amount.article"),
        (lambda d: d["validity"].pop("article"), "validity.article"),
        (lambda d: d["facts"]["civil_works"].pop("article"), "facts.civil_works.article"),
    ],
)
def test_item_without_a_citation_is_refused(broken: Broken, mutate: Mutator, where: str) -> None:
    msg = _refused(broken, mutate)
    assert msg.startswith(f"fixture-yunan-2024: {where}: article is required")


def test_citation_of_a_missing_article_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["scope"][0].update(article="第四十二条"))
    assert msg == (
        "fixture-yunan-2024: scope.classified: cites 第四十二条 which is not in the source text"
    )


def test_citation_of_a_missing_item_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["requirements"][0].update(article="第十一条第（九）项"))
    assert "requirements.demand_summary: cites 第十一条第（九）项: item (九)" in msg


def test_citation_without_an_article_number_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["parameters"]["filing_min"].update(article="见附件"))
    assert "parameters.filing_min: article '见附件' does not cite an article" in msg


def test_band_citation_is_checked(broken: Broken) -> None:
    msg = _refused(broken, lambda d: _band(d, 2).update(article="第九十条"))
    assert "routes.by_amount.bands[2]: cites 第九十条" in msg


def test_bad_source_hash_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["document"].update(sha256="0" * 64))
    assert msg.startswith("fixture-yunan-2024: document.sha256: source.txt has sha256 aa5d30f7")


def test_misspelt_key_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["requirements"][0].update(mandatroy=True))
    assert "requirements.demand_summary.mandatroy" in msg


def test_unknown_placeholder_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: _band(d, 0).update(explanation="总投资{amout}"))
    assert "routes.by_amount.bands[0]: explanation: unknown placeholder {amout}" in msg


def test_unknown_authority_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: _band(d, 0).update(authority="expert"))
    assert "routes.by_amount.bands[0]: authority expert is not in authorities" in msg


def test_duplicate_rule_id_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["requirements"].append(dict(d["requirements"][0])))
    assert msg == "fixture-yunan-2024: requirements.demand_summary: duplicate id"


def test_bad_parameter_value_is_refused(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["parameters"]["approval_min"].update(value=500000.5))
    assert "parameters.approval_min: amount must be a non-negative integer" in msg


def test_time_limit_needs_one_value(broken: Broken) -> None:
    msg = _refused(broken, lambda d: d["time_limits"][1].update(date="--09-30"))
    assert "time_limits.self_evaluation: needs exactly one of period, date, ratio, amount" in msg


def test_folder_must_match_tenant(tmp_path: Path) -> None:
    write_pack(tmp_path / "445100-chaozhou", yunan_data())
    with pytest.raises(PackError, match="tenant: 445322 does not match folder 445100-chaozhou"):
        load_registry(tmp_path)


# ---------------------------------------------------------------------------------------
# extends
# ---------------------------------------------------------------------------------------
def _child(**changes: Any) -> dict[str, Any]:
    child: dict[str, Any] = {
        "id": "fixture-child-2025",
        "tenant": "445399",
        "name": "测试县",
        "extends": "fixture-yunan-2024",
        "parameters": {"approval_min": {"value": 300_000, "article": "第十条"}},
        "authorities": {"bureau_officer": {"name": "测试县政务和数据局", "article": "第三条"}},
    }
    child.update(changes)
    return child


def _tree(tmp_path: Path, *packs: dict[str, Any]) -> Path:
    write_pack(tmp_path / "445322-yunan", yunan_data(), "2024-08-17.yaml")
    for i, data in enumerate(packs):
        write_pack(tmp_path / f"{data['tenant']}-test", data, f"v{i}.yaml")
    return tmp_path


def test_child_inherits_and_overrides_parameters(tmp_path: Path) -> None:
    from libs.policy import evaluate, validate_facts

    reg = load_registry(_tree(tmp_path, _child()))
    child = reg.pack_for("445399", date(2025, 3, 1))
    assert child.id == "fixture-child-2025" and child.parent is not None
    assert child.params["approval_min"] == 300_000
    assert child.params["filing_min"] == 100_000  # inherited
    d = evaluate(child, validate_facts(child, project(amount=300_000)), date(2025, 3, 1))
    assert d.route.code == "approval"
    assert d.route.explanation == (
        "依据《郁南县政务信息化服务项目管理办法》第十条，总投资30万元≥30万元，须报测试县政务和数据局立项"
    )
    assert d.tenant == "445399"
    assert child.sha256 != reg.get("fixture-yunan-2024").sha256


def test_child_rule_with_same_id_replaces_the_parent_rule(tmp_path: Path) -> None:
    rule = {
        "id": "ipv6",
        "code": "ipv6_support",
        "when": "false",
        "stage": "acceptance",
        "actor": "unit_officer",
        "article": "第二十一条",
    }
    extra = {
        "id": "extra",
        "code": "supervision",
        "when": "true",
        "stage": "implementation",
        "actor": "unit_officer",
        "article": "第十六条",
    }
    reg = load_registry(_tree(tmp_path, _child(requirements=[rule, extra])))
    child = reg.get("fixture-child-2025")
    ids = [r.id for r in child.spec.requirements]
    parent_ids = [r.id for r in reg.get("fixture-yunan-2024").spec.requirements]
    assert ids == [*parent_ids, "extra"]  # replaced in place, new one appended
    assert next(r for r in child.spec.requirements if r.id == "ipv6").when == "false"


def test_child_override_without_its_own_article_is_refused(tmp_path: Path) -> None:
    child = _child(parameters={"approval_min": {"value": 300_000}})
    with pytest.raises(PackError, match=r"fixture-child-2025: parameters\.approval_min: article"):
        load_registry(_tree(tmp_path, child))


def test_unknown_parent_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="extends: unknown parent pack 'nope'"):
        load_registry(_tree(tmp_path, _child(extends="nope")))


def test_extends_cycle_is_refused(tmp_path: Path) -> None:
    a = _child(id="fixture-a", extends="fixture-b")
    b = _child(id="fixture-b", tenant="445398", extends="fixture-a")
    with pytest.raises(PackError, match="cycle"):
        load_registry(_tree(tmp_path, a, b))


# ---------------------------------------------------------------------------------------
# pack_for
# ---------------------------------------------------------------------------------------
def test_pack_for_picks_the_version_in_force(registry: PolicyRegistry) -> None:
    assert registry.pack_for("445322", date(2024, 8, 17)).id == "fixture-yunan-2024"
    assert registry.pack_for("445322", date(2029, 8, 16)).id == "fixture-yunan-2024"


@pytest.mark.parametrize("on", [date(2024, 8, 16), date(2029, 8, 17), date(2031, 1, 1)])
def test_pack_for_outside_validity_is_no_policy(registry: PolicyRegistry, on: date) -> None:
    with pytest.raises(NoPolicyInForce) as info:
        registry.pack_for("445322", on)
    assert (info.value.tenant, info.value.on) == ("445322", on)


def test_pack_for_unknown_tenant_is_no_policy(registry: PolicyRegistry) -> None:
    with pytest.raises(NoPolicyInForce):
        registry.pack_for("110000", date(2025, 1, 1))


def _versions(tmp_path: Path) -> PolicyRegistry:
    old = yunan_data()
    draft = yunan_data()
    draft.update(id="fixture-yunan-draft", status="draft")
    draft["validity"] = {
        "effective_from": "2028-01-01",
        "effective_to": None,
        "article": "第三十一条",
    }
    repealed = yunan_data()
    repealed.update(id="fixture-yunan-repealed", status="repealed")
    repealed["validity"] = {
        "effective_from": "2020-01-01",
        "effective_to": "2024-08-17",
        "article": "第三十一条",
    }
    folder = tmp_path / "445322-yunan"
    write_pack(folder, old, "2024-08-17.yaml")
    write_pack(folder, draft, "draft.yaml")
    write_pack(folder, repealed, "repealed.yaml")
    return load_registry(tmp_path)


def test_in_force_beats_a_draft_and_a_draft_covers_later_dates(tmp_path: Path) -> None:
    from libs.policy import evaluate, validate_facts

    reg = _versions(tmp_path)
    assert reg.pack_for("445322", date(2028, 6, 1)).id == "fixture-yunan-2024"
    draft = reg.pack_for("445322", date(2030, 1, 1))
    assert draft.id == "fixture-yunan-draft"
    d = evaluate(draft, validate_facts(draft, project()), date(2030, 1, 1))
    assert d.provisional is True and d.policy.status == "draft"


def test_repealed_version_never_judges(tmp_path: Path) -> None:
    reg = _versions(tmp_path)
    with pytest.raises(NoPolicyInForce):
        reg.pack_for("445322", date(2022, 1, 1))


def test_overlapping_in_force_versions_are_refused(tmp_path: Path) -> None:
    second = yunan_data()
    second["id"] = "fixture-yunan-2026"
    second["validity"] = {
        "effective_from": "2026-01-01",
        "effective_to": None,
        "article": "第三十一条",
    }
    folder = tmp_path / "445322-yunan"
    write_pack(folder, yunan_data(), "a.yaml")
    write_pack(folder, second, "b.yaml")
    with pytest.raises(PackError, match="validity: overlaps fixture-yunan-2024"):
        load_registry(tmp_path)
