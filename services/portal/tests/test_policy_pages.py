"""The console's discretion pages render what people read: names and articles, no codes."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from libs.vocab import ROUTE_LABELS
from services.portal.policy_compare import compare
from services.portal.web import templates


class _User:
    tenant = "440800"
    roles = frozenset({"bureau_officer"})
    subject = SimpleNamespace(name="测试用户")

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def _render(name: str, **context: Any) -> str:
    base = {"user": _User(), "csrf": "t", "tenant_names": {"440804": "坡头区", "440800": "湛江市"}}
    return templates.env.get_template(name).render(**base, **context)


def test_the_city_sees_exceptions_per_county_per_year() -> None:
    page = _render(
        "policy/exceptions.html",
        years=[2026, 2025],
        table={"440804": {2026: 2}},
        exceptions=[
            {
                "tenant": "440804",
                "project_id": "0b6a…",
                "project_name": "渔政执法系统运维",
                "article": "第八条第（一）项",
                "authority": "区政务服务数据管理局",
                "reason": "系统正在补录目录",
                "granted_on": "2026-03-02",
            }
        ],
    )
    assert "<td>坡头区</td>" in page and "<td>2</td>" in page and "<td>0</td>" in page
    assert "第八条第（一）项" in page and "渔政执法系统运维" in page
    assert "0b6a" not in page  # no ids shown to people


def test_the_impact_page_shows_moves_articles_and_projects() -> None:
    report = {
        "examined": 9,
        "changed": 1,
        "skipped": [],
        "moves": [{"before": "filing", "after": "approval", "count": 1, "amount": 420_000}],
        "articles": {"第十条": 1},
        "projects": [
            {
                "project_id": "p-1",
                "name": "教育城域网升级",
                "submitted_on": "2025-04-02",
                "amount": 420_000,
                "route_before": "filing",
                "route_after": "approval",
                "added": [
                    {"code": "expert_review", "label": "专家评审", "article": "第十一条第（二）项"}
                ],
                "removed": [],
            }
        ],
    }
    page = _render("policy/impact.html", report=report, values={}, route_labels=ROUTE_LABELS)
    assert "备案</td><td>立项审批" in page and "42万元" in page
    assert "第十条：1 个项目" in page and "专家评审（第十一条第（二）项）" in page
    assert "p-1" not in page and 'name="_csrf" value="t"' in page


@cache
def _packs() -> Any:
    from libs.policy import load_registry

    return load_registry(Path(__file__).resolve().parents[3] / "policies")


def test_the_comparison_answers_where_approval_begins_in_each_county() -> None:
    """郁南 立项 from 50万元; 坡头 from its 政府采购限额, which its bureau has not set yet."""
    yunan, potou = _packs().get("yunan-2024"), _packs().get("potou-draft")
    groups = {g.title: g for g in compare([yunan, potou])}
    ranges = next(r for r in groups["管理方式"].rows if r.label == "立项审批的金额范围")
    assert ranges.cells[0].lines == [("50万元（含）以上", "第十条")]
    assert (
        ranges.cells[1]
        .lines[0][0]
        .startswith("政府采购限额（尚未设定，由区政务服务数据管理局设定）")
    )
    assert ranges.differs
    params = {r.label: r for r in groups["参数（金额、比例、期限）"].rows}
    assert params["立项下限（含）"].cells[0].text == "50万元（第十条）"
    assert params["立项下限（含）"].cells[1].lines == []  # 坡头 has no such threshold
    assert params["应用效果自评价期限"].cells[1].text == "12个月（第二十四条）"
    page = _render(
        "policy/diff.html",
        packs=[],
        a="yunan-2024",
        b="potou-draft",
        c="",
        groups=list(groups.values()),
        compared=[yunan, potou],
        differences=sum(g.differences for g in groups.values()),
    )
    text = re.sub(r"<[^>]+>", " ", page)
    assert "投资总额≥50万元（50万元以上（含）），须报县政务和数据局立项" in text
    assert "不同" in text and "未规定" in text
    # Nothing of the pack's machinery: no keys, placeholders, conditions or dicts.
    assert not re.search(r"[a-z]+_[a-z_]+|\{[a-z_]+\}|\{'|params\.|==|&&", text), re.findall(
        r".{20}(?:[a-z]+_[a-z_]+|\{[a-z_]+\}|\{'|params\.|==|&&).{20}", text
    )[:5]
