"""`govproj policy`: evaluate, validate, explain, diff policy packs, and what-if impact.

Exit codes: 0 success; 1 a pack that does not load (or an unknown pack);
2 invalid facts (problem+json on stderr); 3 no policy in force for the tenant
on the submission date (problem+json on stderr).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from libs.common.deadlines import today_in_china
from libs.common.errors import Problem
from libs.policy import (
    Decision,
    EvaluationError,
    FactsError,
    NoPolicyInForce,
    Pack,
    PackError,
    PolicyRegistry,
    decision_text,
    diff_packs,
    diff_text,
    evaluate,
    load_registry,
    validate_facts,
)
from libs.policy.candidate import load_candidate
from libs.policy.impact import StoredSubmission, impact, impact_text

app = typer.Typer(no_args_is_help=True, add_completion=False)


PoliciesOpt = Annotated[
    Path | None,
    typer.Option("--policies", help="政策包目录（默认 $GOVPROJ_POLICIES_DIR 或 ./policies）"),
]
TenantOpt = Annotated[str, typer.Option("--tenant", help="租户行政区划代码，如 445322")]
FileArg = Annotated[str, typer.Argument(help="项目事实 JSON 文件，- 表示标准输入")]


def _policies_dir(option: Path | None) -> Path:
    if option is not None:
        return option
    return Path(os.environ.get("GOVPROJ_POLICIES_DIR") or "policies")


def _emit_problem(problem: Problem, exit_code: int) -> NoReturn:
    sys.stderr.write(json.dumps(problem.to_dict(), ensure_ascii=False, indent=2) + "\n")
    raise typer.Exit(exit_code)


def _load(policies: Path | None) -> PolicyRegistry:
    try:
        return load_registry(_policies_dir(policies))
    except PackError as exc:
        sys.stderr.write(f"政策包加载失败: {exc}\n")
        raise typer.Exit(1) from None


def _read_facts(file: str) -> Any:
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        _emit_problem(
            Problem(
                422,
                "invalid_facts",
                "项目事实不合法",
                f"无法读取 {file}: {exc}",
                extra={"field": "body"},
            ),
            2,
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _emit_problem(
            Problem(
                422,
                "invalid_facts",
                "项目事实不合法",
                f"JSON 格式错误: {exc}",
                extra={"field": "body"},
            ),
            2,
        )


def _decide(tenant: str, file: str, policies: Path | None) -> Decision:
    registry = _load(policies)
    raw = _read_facts(file)
    # The pack is chosen by submitted_on (a project is judged by the pack in
    # force when it was submitted); without one, today in China.
    on = today_in_china()
    if isinstance(raw, dict) and isinstance(raw.get("submitted_on"), str):
        try:
            on = date.fromisoformat(raw["submitted_on"])
        except ValueError:
            _emit_problem(_invalid(FactsError("submitted_on", "须为 ISO 日期 YYYY-MM-DD")), 2)
    try:
        pack = registry.pack_for(tenant, on)
        facts = validate_facts(pack, raw)
        return evaluate(pack, facts, on)
    except NoPolicyInForce as exc:
        _emit_problem(
            Problem(
                422,
                "no_policy_in_force",
                "无适用的政策",
                f"租户 {exc.tenant} 在 {exc.on.isoformat()} 没有生效或征求意见中的政策包",
                extra={"tenant": exc.tenant, "date": exc.on.isoformat()},
            ),
            3,
        )
    except FactsError as exc:
        _emit_problem(_invalid(exc), 2)
    except EvaluationError as exc:
        sys.stderr.write(f"政策包无法判定: {exc}\n")
        raise typer.Exit(1) from None


def _invalid(exc: FactsError) -> Problem:
    return Problem(
        422,
        "invalid_facts",
        "项目事实不合法",
        f"{exc.field}: {exc.message}",
        extra={"field": exc.field},
    )


@app.command("evaluate")
def evaluate_command(tenant: TenantOpt, file: FileArg, policies: PoliciesOpt = None) -> None:
    """判定项目的管理方式、要求与时限，输出决定 JSON。"""
    decision = _decide(tenant, file, policies)
    typer.echo(json.dumps(decision.model_dump(mode="json"), ensure_ascii=False, indent=2))


@app.command("explain")
def explain_command(tenant: TenantOpt, file: FileArg, policies: PoliciesOpt = None) -> None:
    """以中文说明判定结果及其依据条款。"""
    typer.echo(decision_text(_decide(tenant, file, policies)), nl=False)


@app.command("validate")
def validate_command(
    path: Annotated[
        Path | None, typer.Argument(help="政策包目录、某租户目录或某个 YAML 文件")
    ] = None,
) -> None:
    """校验政策包：模式、原文哈希、条款引用、CEL 表达式、金额区间。"""
    target = _policies_dir(path)
    root, only = target, None
    # A tenant folder or a single file is checked within its whole tree, since
    # it may extend a pack that lives beside it.
    if target.is_file():
        root, only = target.parent.parent, target.resolve()
    elif target.is_dir() and any(target.glob("*.yaml")):
        root, only = target.parent, target.resolve()
    registry = _load(root)
    shown = 0
    for pack in sorted(registry.packs, key=lambda p: (p.tenant, p.id)):
        if only is not None and only not in (pack.path.resolve(), pack.path.parent.resolve()):
            continue
        v = pack.validity
        start = v.effective_from.isoformat() if v.effective_from else "…"
        end = v.effective_to.isoformat() if v.effective_to else "…"
        typer.echo(
            f"OK {pack.id} {pack.tenant} {pack.name} {pack.status} [{start}, {end}) "
            f"{pack.sha256[:12]}"
        )
        shown += 1
    if shown == 0:
        sys.stderr.write(f"{target}: 没有政策包\n")
        raise typer.Exit(1)


def _resolve(registry: PolicyRegistry, ref: str) -> Pack:
    if ref in registry:
        return registry.get(ref)
    versions = registry.for_tenant(ref)
    if not versions:
        sys.stderr.write(f"未知的政策包或租户: {ref}\n")
        raise typer.Exit(1)
    try:
        return registry.pack_for(ref, today_in_china())
    except NoPolicyInForce:
        return versions[-1]  # the latest version, when none covers today


@app.command("diff")
def diff_command(
    a: Annotated[str, typer.Argument(help="租户代码或政策包 id")],
    b: Annotated[str, typer.Argument(help="租户代码或政策包 id")],
    policies: PoliciesOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """逐参数、逐规则比较两个政策包（附条款）。"""
    registry = _load(policies)
    pa, pb = _resolve(registry, a), _resolve(registry, b)
    diff = diff_packs(pa, pb)
    if as_json:
        typer.echo(json.dumps(diff.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        typer.echo(diff_text(diff, pa, pb), nl=False)


def _stored_from_file(path: Path) -> list[StoredSubmission]:
    """Stored submissions exported as JSON lines (project_id, submission, submitted_on, facts, decision)."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(
                StoredSubmission(
                    str(row["project_id"]),
                    int(row.get("submission") or 1),
                    date.fromisoformat(row["submitted_on"]),
                    row["facts"],
                    row["decision"],
                    str(row.get("name") or ""),
                )
            )
        except (KeyError, ValueError, TypeError) as exc:
            sys.stderr.write(f"{path}:{n}: 无法读取已申报项目记录：{exc}\n")
            raise typer.Exit(2) from None
    return out


async def _stored_from_database(tenant: str, since: date | None) -> list[StoredSubmission]:
    """The tenant's stored decisions, read as the application role under the tenant's RLS."""
    from libs.common.db import TenantContext, create_engine, create_sessionmaker, transaction
    from libs.common.settings import service_settings
    from services.approval.discretion.impact import stored_submissions

    engine = create_engine(service_settings("approval").database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine), TenantContext.own(tenant)) as session:
            return await stored_submissions(session, tenant, since)
    finally:
        await engine.dispose()


@app.command("impact")
def impact_command(
    tenant: TenantOpt,
    pack: Annotated[
        Path, typer.Option("--pack", help="拟议政策包 YAML（征求意见稿、新的金额标准……）")
    ],
    since: Annotated[
        str | None, typer.Option("--since", help="只分析该日期（YYYY-MM-DD）及以后申报的项目")
    ] = None,
    stored: Annotated[
        Path | None,
        typer.Option("--stored", help="已申报项目记录（JSON Lines）；默认读取审批服务数据库"),
    ] = None,
    policies: PoliciesOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """按拟议政策包重新判定本辖区已申报的项目，列出管理方式、强制要求或时限将变化的项目。"""
    root = _policies_dir(policies)
    _load(policies)  # the packs in force must load before a candidate is tried beside them
    try:
        start = date.fromisoformat(since) if since else None
    except ValueError:
        raise typer.BadParameter("须为 YYYY-MM-DD", param_hint="--since") from None
    try:
        candidate = load_candidate(root, pack)
    except PackError as exc:
        sys.stderr.write(f"拟议政策包加载失败: {exc}\n")
        raise typer.Exit(1) from None
    if candidate.tenant != tenant:
        sys.stderr.write(f"拟议政策包属于租户 {candidate.tenant}，不是 {tenant}\n")
        raise typer.Exit(1)
    rows = (
        _stored_from_file(stored) if stored else asyncio.run(_stored_from_database(tenant, start))
    )
    report = impact(candidate, rows, since=start)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        typer.echo(impact_text(report), nl=False)
