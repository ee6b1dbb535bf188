"""No module outside libs/vocab defines a label table (issue 15 item 3: "nothing else defines labels").

A label table is a module-level dict literal (or a MappingProxyType of one) whose
entries are mostly snake_case codes mapped to short Chinese text. Sentences
(text with 。) are messages, not labels, and are not counted.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCANNED = ("services", "libs", "govproj")
CJK = re.compile(r"[\u4e00-\u9fff]")
CODE = re.compile(r"^[a-z][a-z0-9_]*$")
# An inline table in a template: {"planned": "规划中", ...}.
TEMPLATE_TABLE = re.compile(r"\{\s*[\"'][a-z][a-z0-9_]*[\"']\s*:\s*[\"'][^\"']*[\u4e00-\u9fff]")

# Tables still inside code another engineer is restructuring (issue 15 items 1 and 7),
# by owner (the service or library folder, so that moving a file inside it does not
# matter) and name. Shrinking: each owner replaces the table by an import from
# libs.vocab (the same codes and labels are there, named in the comment) and
# removes its entry here.
NOT_YET_SWITCHED: frozenset[tuple[str, str]] = frozenset(
    {
        ("libs/policy", "_STATUS"),  # explain.py → PACK_STATUSES (libs/policy's owner)
    }
)
# Dicts that look like label tables and are not: what they hold is said beside each.
NOT_LABELS: frozenset[tuple[str, str]] = frozenset(
    {
        # The display names of the development issuer's demo people, one per role
        # ("数据局审核员"): who a demo token belongs to, not what a role code means.
        ("govproj/dev", "DEMO_USERS"),
    }
)


def _owner(rel: str) -> str:
    """services/approval/changes/service.py → services/approval."""
    return "/".join(rel.split("/")[:2])


def _dict_literal(node: ast.expr) -> ast.Dict | None:
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Dict):
        return node.args[0]  # MappingProxyType({...}), dict({...})
    return node if isinstance(node, ast.Dict) else None


def _is_label_table(table: ast.Dict) -> bool:
    labels = 0
    for key, value in zip(table.keys, table.values, strict=True):
        if (
            isinstance(key, ast.Constant)
            and isinstance(key.value, str)
            and CODE.match(key.value)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
            and CJK.search(value.value)
            and "。" not in value.value
        ):
            labels += 1
    return len(table.keys) >= 2 and labels * 2 > len(table.keys)


def label_tables() -> set[tuple[str, str]]:
    """(file, name) of every module-level label table outside libs/vocab, tests and migrations."""
    found: set[tuple[str, str]] = set()
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("libs/vocab/") or "/tests/" in rel or "/migrations/" in rel:
                continue
            for stmt in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(stmt, ast.Assign):
                    targets, value = stmt.targets, stmt.value
                elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                    targets, value = [stmt.target], stmt.value
                else:
                    continue
                table = _dict_literal(value)
                if table is not None and _is_label_table(table):
                    found |= {(rel, ast.unparse(t)) for t in targets}
    return found


def template_tables() -> list[str]:
    """file:line of every inline code → label dict in a template."""
    hits = []
    for path in sorted((ROOT / "services").rglob("*.html")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if TEMPLATE_TABLE.search(line):
                hits.append(f"{path.relative_to(ROOT).as_posix()}:{n}")
    return hits


def test_no_module_outside_libs_vocab_defines_a_label_table() -> None:
    allowed = NOT_YET_SWITCHED | NOT_LABELS
    unexpected = sorted((f, n) for f, n in label_tables() if (_owner(f), n) not in allowed)
    assert unexpected == [], "import these from libs.vocab instead of defining them"


def test_the_list_of_tables_waiting_to_switch_only_shrinks() -> None:
    # An entry whose table is gone must leave the list, so it cannot come back unnoticed.
    found = {(_owner(f), n) for f, n in label_tables()}
    assert sorted((NOT_YET_SWITCHED | NOT_LABELS) - found) == []


def test_no_template_writes_its_own_label_table() -> None:
    assert template_tables() == []


def test_the_scan_recognises_a_label_table() -> None:
    table = ast.parse('{"draft": "草稿", "submitted": "已申报", "x": 1}').body[0]
    assert isinstance(table, ast.Expr) and isinstance(table.value, ast.Dict)
    assert _is_label_table(table.value)
    messages = ast.parse('{"created": "已保存。", "updated": "已修改。"}').body[0]
    assert isinstance(messages, ast.Expr) and isinstance(messages.value, ast.Dict)
    assert not _is_label_table(messages.value)
