"""The left menu (only what the person's roles may use) and the breadcrumbs of every page.

One table says which page each role may open; base.html draws the menu from it
and marks where the person is. Breadcrumbs need no code in the pages: they
come from the address (the menu entry it lies under), the project the page is
about (when its context has one) and the page's title. A page that knows
better passes ``crumbs`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

# Who reads projects, who works a queue (as services/portal/pages/projects.py and tasks.py check).
PROJECT_READERS = (
    "unit_officer",
    "bureau_officer",
    "overseer",
    "auditor",
    "finance_officer",
    "expert",
)
QUEUE_WORKERS = (
    "bureau_officer",
    "expert",
    "finance_officer",
    "crypto_officer",
    "unit_officer",
    "overseer",
)


class HasRoles(Protocol):
    def has(self, *roles: str) -> bool: ...


@dataclass(frozen=True)
class MenuItem:
    label: str
    href: str
    roles: tuple[str, ...] | None  # None: everyone
    section: str


MENU: tuple[MenuItem, ...] = (
    MenuItem("工作台", "/", None, "工作"),
    MenuItem("待办", "/tasks", QUEUE_WORKERS, "工作"),
    MenuItem("项目", "/projects", PROJECT_READERS, "项目"),
    MenuItem("新建项目", "/projects/new", ("unit_officer",), "项目"),
    MenuItem("年度计划", "/plans", ("bureau_officer", "unit_officer", "overseer"), "项目"),
    MenuItem("系统目录", "/catalog", ("bureau_officer", "unit_officer", "overseer"), "项目"),
    MenuItem(
        "期限", "/deadlines", ("bureau_officer", "overseer", "auditor", "unit_officer"), "项目"
    ),
    MenuItem("消息中心", "/notifications", None, "工作"),
    MenuItem("资金联动", "/budget", ("finance_officer",), "监督"),
    MenuItem("双随机抽查", "/draws", ("bureau_officer", "overseer", "auditor"), "监督"),
    MenuItem("固定性审计", "/archive/fixity", ("bureau_officer", "auditor"), "监督"),
    MenuItem("监督看板", "/dashboard", ("overseer",), "监督"),
    MenuItem("政策包", "/policies", None, "政策"),
    MenuItem("政策对比", "/policies/diff", None, "政策"),
    MenuItem("例外决定", "/policies/exceptions", ("bureau_officer", "overseer", "auditor"), "政策"),
    MenuItem("政策影响分析", "/policies/impact", ("bureau_officer",), "政策"),
    MenuItem("授权参数", "/parameters", ("bureau_officer",), "政策"),
    MenuItem("建设单位", "/units", ("bureau_officer", "platform_admin"), "管理"),
    MenuItem("平台管理", "/admin", ("platform_admin",), "管理"),
)


def menu_for(user: HasRoles) -> list[tuple[str, list[MenuItem]]]:
    """The menu entries ``user`` may open, grouped by section in the table's order."""
    sections: dict[str, list[MenuItem]] = {}
    for item in MENU:
        if item.roles is None or user.has(*item.roles):
            sections.setdefault(item.section, []).append(item)
    return list(sections.items())


# Pages outside the menu's addresses that belong under one of its entries.
_UNDER = {"/steps/": "/tasks", "/reports/": "/tasks"}


def current_entry(path: str) -> MenuItem | None:
    """The menu entry ``path`` lies under: the longest matching address ('/' only for itself)."""
    for prefix, href in _UNDER.items():
        if path.startswith(prefix):
            path = href
    best: MenuItem | None = None
    for item in MENU:
        if item.href == "/":
            matches = path == "/"
        else:
            matches = path == item.href or path.startswith(item.href.rstrip("/") + "/")
        if matches and (best is None or len(item.href) > len(best.href)):
            best = item
    return best


Crumb = tuple[str, str | None]  # label, address (None: the page itself)


def breadcrumbs(path: str, context: dict[str, Any]) -> list[Crumb]:
    """工作台 › the menu entry › the project (if the page is about one) › the page."""
    if context.get("crumbs") is not None:
        return [("工作台", "/"), *context["crumbs"]]
    crumbs: list[Crumb] = [("工作台", "/")]
    if path == "/":
        return [("工作台", None)]
    entry = current_entry(path)
    if entry is not None and entry.href != "/":
        # /projects/new lies under 项目 too: show the list first, then the page.
        if entry.href == "/projects/new":
            crumbs.append(("项目", "/projects"))
        crumbs.append((entry.label, entry.href))
    project = context.get("project")
    if isinstance(project, dict) and project.get("id") and project.get("name"):
        if "/projects" not in [href for _, href in crumbs]:
            crumbs.append(("项目", "/projects"))
        home = f"/projects/{project['id']}"
        if path != home:
            crumbs.append((str(project["name"]), home))
    title = context.get("title")
    if title and title != crumbs[-1][0]:
        crumbs.append((str(title), None))
    else:
        crumbs[-1] = (crumbs[-1][0], None)
    return crumbs
