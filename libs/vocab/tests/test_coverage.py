"""Every code the platform speaks has a label: vocabulary.md, the extensions, the packs,
the archive's lists, the 四性检测 catalogue and every event type a service publishes."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

import libs.vocab as v
from libs.contracts import CONTRACTS
from libs.vocab import label
from libs.vocab._label import _KINDS, KINDS

ROOT = Path(__file__).resolve().parents[3]
# The shared list sits beside the repository (docs/vocabulary-extensions.md links it so).
SHARED = ROOT.parent.parent / "shared" / "docs" / "vocabulary.md"
EXTENSIONS = ROOT / "docs" / "vocabulary-extensions.md"
TICKED = re.compile(r"`([a-z][a-z0-9_]*)`")


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## +(.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _first_column(section: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^\| `([a-z][a-z0-9_]*)`", section, re.M)}


def _missing(codes: set[str], table: Mapping[str, str]) -> list[str]:
    return sorted(c for c in codes if c not in table)


@pytest.fixture(scope="module")
def shared() -> dict[str, str]:
    if not SHARED.exists():
        pytest.skip(f"the shared vocabulary.md is not beside this checkout ({SHARED})")
    return _sections(SHARED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def extensions() -> dict[str, str]:
    return _sections(EXTENSIONS.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("heading", "table"),
    [
        ("Routes (how a project is managed)", v.ROUTE_LABELS),
        ("Time limits", v.TIME_LIMIT_LABELS),
        ("Roles", v.ROLE_LABELS),
        ("Lifecycle of a project", v.STATE_LABELS),
    ],
)
def test_every_code_of_vocabulary_md_has_a_label(
    shared: dict[str, str], heading: str, table: Mapping[str, str]
) -> None:
    codes = set(TICKED.findall(shared[heading]))
    assert codes, heading
    assert _missing(codes, table) == []


def test_every_requirement_and_fact_of_vocabulary_md_has_a_label(shared: dict[str, str]) -> None:
    assert (
        _missing(
            _first_column(shared["Requirements (what a decision obliges)"]), v.REQUIREMENT_LABELS
        )
        == []
    )
    facts = shared["Project facts (what a policy decides on)"]
    assert _missing(_first_column(facts), v.FACT_LABELS) == []
    values = set()
    for row in facts.splitlines():
        cells = row.split("|")
        if len(cells) > 3 and TICKED.match(cells[1].strip()):
            values |= set(TICKED.findall(cells[2]))
    assert values, "no enum values found in the facts table"
    assert _missing(values, v.VALUE_LABELS) == []
    assert _missing(set(TICKED.findall(shared["Tenants"])), v.TENANT_LEVELS) == []
    systems = shared["Information systems (政务信息系统目录)"].split("with the facts")[0]
    assert _missing(set(TICKED.findall(systems)), v.SYSTEM_STATES) == []


@pytest.mark.parametrize(
    ("heading", "table"),
    [
        ("Requirement codes", v.REQUIREMENT_LABELS),
        ("Time-limit codes and anchors", v.TIME_LIMIT_LABELS),
        ("Lifecycle states (projects)", v.STATE_LABELS),
        ("Change requests (调整/变更)", v.CHANGE_KINDS),
    ],
)
def test_every_code_of_the_extensions_has_a_label(
    extensions: dict[str, str], heading: str, table: Mapping[str, str]
) -> None:
    codes = _first_column(extensions[heading])
    assert codes, heading
    assert _missing(codes, table) == []


def test_the_labels_the_extensions_write_down_are_the_ones_shown(
    extensions: dict[str, str],
) -> None:
    # docs/vocabulary-extensions.md "Labels" lists each reconciled table as
    # `code` label pairs; the module and the document must say the same.
    written = next(body for head, body in extensions.items() if head.startswith("Labels"))
    tables = {
        "Project states": v.STATE_LABELS,
        "Roles": v.ROLE_LABELS,
        "Workflow states": v.WORKFLOW_STATES,
        "Step states": v.STEP_STATES,
        "Opinion outcomes": v.OPINION_OUTCOMES,
    }
    for name, table in tables.items():
        line = next(ln for ln in written.splitlines() if ln.startswith(f"{name}:"))
        pairs = dict(re.findall(r"`([a-z_]+)` ([^·`]+?)(?= ·|$|\.$)", line.rstrip(".")))
        assert pairs == dict(table), name


def _walk(node: Any, key: str | None = None) -> Iterator[tuple[str | None, Any, Any]]:
    if isinstance(node, dict):
        for k, val in node.items():
            yield key, k, val
            yield from _walk(val, k)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)


def _pack_codes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {
        k: set() for k in ("route", "role", "stage", "requirement", "time_limit", "from")
    }
    for path in sorted((ROOT / "policies").glob("*/*.yaml")):
        pack = yaml.safe_load(path.read_text(encoding="utf-8"))
        for section, key, val in _walk(pack):
            if key == "route":
                found["route"].add(val)
            elif key == "routes" and isinstance(val, list) and all(isinstance(x, str) for x in val):
                found["route"] |= set(val)
            elif key in ("actor", "role") and isinstance(val, str):
                found["role"].add(val)
            elif key == "stage":
                found["stage"].add(val)
            elif section == "requirements" and key == "code":
                found["requirement"].add(val)
            elif section == "time_limits" and key == "code":
                found["time_limit"].add(val)
            elif section == "time_limits" and key == "from":
                found["from"].add(val)
    return found


def test_every_code_the_packs_cite_has_a_label() -> None:
    found = _pack_codes()
    assert all(found.values()), found
    tables = {
        "route": v.ROUTE_LABELS,
        "role": v.ROLE_LABELS,
        "stage": v.STAGE_LABELS,
        "requirement": v.REQUIREMENT_LABELS,
        "time_limit": v.TIME_LIMIT_LABELS,
        "from": v.FROM_LABELS,
    }
    assert {k: _missing(found[k], tables[k]) for k in tables} == {k: [] for k in tables}


def test_the_archive_document_types_and_check_items_have_labels() -> None:
    # The archive's own list (read at run time, so it holds whether the archive
    # defines it or re-exports libs/vocab's) and its 四性检测 catalogue.
    from services.archive.vocab import DocumentType

    assert set(get_args(DocumentType)) == set(v.DOCUMENT_TYPES)
    catalogue = yaml.safe_load(
        (ROOT / "services/archive/checks/catalogue.yaml").read_text(encoding="utf-8")
    )
    items = {i["id"]: i["name"] for i in catalogue["items"]}
    assert set(items) == set(v.CHECK_ITEMS)
    # The report's short name is the catalogue's, without its technical parenthesis.
    assert {k: n.split("（")[0] for k, n in items.items()} == dict(v.CHECK_ITEMS)
    assert {i["property"] for i in catalogue["items"]} <= set(v.CHECK_PROPERTIES)


# Types the registry's state machine names though no service publishes them yet (no
# contract, no handler waits for them); the trail must still read them.
LABELLED_WITHOUT_CONTRACT = frozenset(
    {"govproj.acceptance.project.decommissioned.v1"}  # registry's lifecycle names it
)


def test_every_event_type_of_the_platform_has_a_trail_fragment() -> None:
    # libs/contracts holds one contract per event type, and its own tests tie every
    # emit site and handler to a contract: so this is every type a person may meet.
    types = {c.type for c in CONTRACTS}
    assert len(types) > 60
    assert sorted(types - set(v.EVENT_LABELS)) == []
    # No fragment for a type that does not exist: a renamed type must move its label.
    assert sorted(set(v.EVENT_LABELS) - types - LABELLED_WITHOUT_CONTRACT) == []


def test_every_fragment_reads_as_chinese_without_codes() -> None:
    for kind in sorted(KINDS):
        table, fallback = _KINDS[kind]
        for code, text in table.items():
            assert re.search(r"[\u4e00-\u9fff]", text), (kind, code)
            assert not re.search(r"[a-z]+_[a-z]+|\.v1|\{|\}", text), (kind, code, text)
        assert re.search(r"[\u4e00-\u9fff]", fallback) and "（" not in fallback


def test_a_label_is_found_for_every_kind_and_never_returns_the_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert label("state", "approved") == "已立项"
    assert label("role", "finance_officer") == "财政"
    assert label("event", "govproj.approval.project.approved.v1") == "项目已立项"
    assert label("event", "govproj.approval.project.approved.v2") == "项目已立项"
    assert label("trigger", "registry:submit") == "申报项目"
    assert label("trigger", "govproj.approval.project.filed.v1") == "项目已备案"
    assert label("state", None) == "—" and label("state", "") == "—"
    for kind in sorted(KINDS):
        shown = label(kind, "no_such_code_anywhere")  # type: ignore[arg-type]
        assert "no_such_code_anywhere" not in shown and shown != "—"
    assert "no_such_code_anywhere" in caplog.text


def test_an_unknown_code_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    for _ in range(5):
        label("route", "a_route_nobody_knows")
    assert caplog.text.count("a_route_nobody_knows") == 1
