"""`govproj`: one command line for every service and tool.

Each command group lives in its own module under ``govproj/commands/`` and
exports ``app`` (a Typer app with subcommands) or ``command`` (a single
command); this file only mounts them, so groups can be added without touching
each other.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="govproj",
    help="GovProj 政务信息化项目全生命周期管理平台",
    no_args_is_help=True,
    add_completion=False,
)

# (module under govproj.commands, group name, help)
_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("serve", "serve", "运行一个服务 (registry, approval, budget, acceptance, archive)"),
    ("work", "work", "只运行一个服务的 outbox 转发与事件消费（无 API）"),
    ("dev", "dev", "嵌入式开发环境：dev up / down / token"),
    ("db", "db", "数据库迁移"),
    ("policy", "policy", "政策包：evaluate / validate / explain / diff"),
    ("keycloak", "keycloak", "Keycloak：按租户树创建组与角色（provision）"),
    ("finance", "finance", "财政对接：模拟财政系统（simulate）、生成 AsyncAPI 契约文档"),
    ("events", "events", "事件契约（list、asyncapi）与事件表运维（prune：清理已发送的 outbox 行）"),
)

for module_name, group, help_text in _GROUPS:
    try:
        module = importlib.import_module(f"govproj.commands.{module_name}")
    except ModuleNotFoundError as exc:  # a group still being built is simply absent
        if exc.name != f"govproj.commands.{module_name}":
            raise
        continue
    if hasattr(module, "command"):
        app.command(name=group, help=help_text)(module.command)
    else:
        app.add_typer(module.app, name=group, help=help_text)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
