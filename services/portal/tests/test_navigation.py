"""The left menu offers only what the person's role may use; breadcrumbs say where they are."""

from __future__ import annotations

from services.portal.navigation import breadcrumbs, menu_for


class _Person:
    def __init__(self, *roles: str) -> None:
        self.roles = set(roles)

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def _entries(*roles: str) -> list[str]:
    return [item.label for _, items in menu_for(_Person(*roles)) for item in items]


def test_each_role_sees_only_the_pages_it_may_use() -> None:
    assert _entries("expert") == ["工作台", "待办", "消息中心", "项目", "政策包", "政策对比"]
    unit = _entries("unit_officer")
    assert "新建项目" in unit and "监督看板" not in unit and "资金联动" not in unit
    assert "监督看板" in _entries("overseer") and "新建项目" not in _entries("overseer")
    assert "资金联动" in _entries("finance_officer")
    assert "待办" not in _entries("auditor")


def test_breadcrumbs_lead_from_the_workplace_through_the_project_to_the_page() -> None:
    project = {"id": "p1", "name": "县域政务服务平台升级"}
    trail = breadcrumbs("/projects/p1/trail", {"project": project, "title": "审计轨迹"})
    assert trail == [
        ("工作台", "/"),
        ("项目", "/projects"),
        ("县域政务服务平台升级", "/projects/p1"),
        ("审计轨迹", None),
    ]
    assert breadcrumbs("/steps/s1", {"title": "办理：县域政务服务平台升级"})[:2] == [
        ("工作台", "/"),
        ("待办", "/tasks"),
    ]
    assert breadcrumbs("/projects/new", {"title": "新建项目"}) == [
        ("工作台", "/"),
        ("项目", "/projects"),
        ("新建项目", None),
    ]
    assert breadcrumbs("/", {"title": "工作台"}) == [("工作台", None)]
