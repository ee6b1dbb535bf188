"""The 四性检测 report as a printable Chinese HTML page (no scripts, no external assets)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from typing import Any

from libs.vocab import format_time, label
from services.archive.vocab import OUTCOMES, PROPERTIES, STAGES

__all__ = ["count", "named", "package_line", "render_report", "verdict"]

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;margin:2em;color:#111}
h1{font-size:1.5em;text-align:center}table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #444;padding:4px 6px;vertical-align:top}th{background:#eee}
.fail{color:#b00;font-weight:bold}.not_run{color:#a60;font-weight:bold}.manual_pending{color:#046}
.pass{color:#060}.verdict{font-size:1.2em;margin:1em 0}
@media print{body{margin:1cm}a{color:inherit;text-decoration:none}tr{page-break-inside:avoid}}
"""


# A document named by its id (with "@version" in a subject, inside a package path in a detail).
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:@[\w.-]+)?", re.I)


def named(text: str, titles: Mapping[str, str]) -> str:
    """``text`` with every document id replaced by the document's 题名 (people know files so)."""
    return _ID.sub(lambda m: f"《{titles.get(m.group(0)[:36].lower(), '项目文件')}》", text)


def count(value: Any) -> int:
    # The summary lists the items not run (their numbers); the report says how many.
    return len(value) if isinstance(value, list | tuple) else int(value or 0)


def verdict(report: Mapping[str, Any]) -> str:
    return "符合档案验收条件" if report["acceptable"] else "不符合档案验收条件"


def render_report(
    report: dict[str, Any],
    *,
    project_name: str = "",
    package: Mapping[str, Any] | None = None,
    titles: Mapping[str, str] | None = None,
) -> str:
    """One self-contained HTML page: header, verdict, one row per item with its details.

    Project, package and files are named as people know them (name, creation time and
    SM3, 题名), never by id.
    """
    s = report["summary"]
    titles = titles or {}
    database = report.get("virus_database")
    # A scan with test signatures only proves the scanner ran, not that files are clean.
    notice = (
        f'<p class="notice not_run" role="note">{escape(label("virus_database", database))}'
        "：病毒感染检测只能发现测试样本，不能代替生产病毒库的检测。</p>"
        if database == "test_only"
        else ""
    )
    rows = []
    for r in report["results"]:
        details = "<br>".join(
            f'<span class="{escape(d["outcome"])}">[{escape(OUTCOMES.get(d["outcome"], d["outcome"]))}]</span> '
            f"{escape(named(str(d.get('subject', '')), titles))}："
            f"{escape(named(str(d.get('detail', '')), titles))}"
            for d in r["details"][:50]
        )
        rows.append(
            "<tr>"
            f"<td>{escape(r['item'])}</td><td>{escape(PROPERTIES.get(r['property'], r['property']))}</td>"
            f"<td>{escape(r['name'])}</td><td>{escape(r['standard'])}</td>"
            f"<td>{'是' if r['blocking'] else '否'}</td>"
            f'<td class="{escape(r["outcome"])}">{escape(OUTCOMES.get(r["outcome"], r["outcome"]))}</td>'
            f"<td>{details}</td></tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>电子档案四性检测报告</title>
<style>{_CSS}</style></head><body>
<h1>电子档案“四性”检测报告</h1>
<p>项目：{escape(project_name or "（项目名称暂不可读）")}<br>
归档信息包：{escape(package_line(package))}<br>
检测环节：{escape(STAGES.get(report["stage"], report["stage"]))}　检测目录版本：{escape(report["catalogue_version"])}<br>
检测时间：{escape(format_time(report["created_at"]))}（北京时间）　检测人：{escape(report["created_by_name"])}<br>
总件数：{s.get("item_count")}　总字节数：{s.get("byte_total")}</p>
<p class="verdict {"pass" if report["acceptable"] else "fail"}">结论：{verdict(report)}
（通过 {count(s.get("pass"))} 项，不通过 {count(s.get("fail"))} 项，未检测 {count(s.get("not_run"))} 项，待人工确认 {count(s.get("manual_pending"))} 项）</p>
{notice}<table><thead><tr><th>编号</th><th>检测属性</th><th>检测项目</th><th>依据</th><th>否决项</th><th>结果</th><th>说明</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<p>依据 DA/T 70-2018《文书类电子档案检测一般要求》。有否决项不通过或任一项未检测的，不得通过档案验收。</p>
</body></html>
"""


def package_line(package: Mapping[str, Any] | None) -> str:
    if not package:
        return "—"
    sm3 = str(package.get("tar_sm3") or "")
    made = format_time(package.get("created_at"))
    return f"生成于 {made}" + (f"，SM3 {sm3[:16]}…" if sm3 else "")
