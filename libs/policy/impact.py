"""What-if impact of a candidate pack: re-decide stored submissions and list what changes.

A bureau drafting a new 办法 (a 征求意见稿, a new threshold) needs to know which
projects it would treat differently. :func:`impact` re-decides every stored
submission (its facts, as submitted) under the candidate and compares with the
stored decision: the route, the mandatory requirements and the time limits. It
is pure: the caller reads the stored decisions (``govproj policy impact`` and
the approval service read them from the approval schema).

Requirements and time limits are compared by what they oblige (code, stage,
value), not by their article or wording, so that a new text that renumbers its
articles does not report every project as changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from libs.policy.decision import Decision
from libs.policy.errors import EvaluationError, FactsError
from libs.policy.evaluator import evaluate
from libs.policy.facts import validate_facts
from libs.policy.pack import Pack
from libs.policy.render import format_wan
from libs.vocab import REQUIREMENT_LABELS, ROUTE_LABELS, TIME_LIMIT_LABELS

__all__ = [
    "ImpactReport",
    "ProjectImpact",
    "RouteMove",
    "StoredSubmission",
    "impact",
    "impact_text",
]


@dataclass(frozen=True, slots=True)
class StoredSubmission:
    """One stored decision and the facts it judged, as the approval service keeps them."""

    project_id: str
    submission: int
    submitted_on: date
    facts: Mapping[str, Any]
    decision: Mapping[str, Any]  # the stored Decision JSON
    name: str = ""


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Duty(_Out):
    """A requirement or time limit that appears or disappears, with its article."""

    code: str
    label: str
    article: str


class ProjectImpact(_Out):
    """One project the candidate would treat differently."""

    project_id: str
    submission: int
    name: str
    submitted_on: date
    amount: int
    route_before: str
    route_after: str
    article_before: str
    article_after: str
    added: list[Duty]  # mandatory requirements and time limits the candidate adds
    removed: list[Duty]  # … and those it drops
    articles: list[str]  # the candidate's articles responsible for the change


class RouteMove(_Out):
    """How many projects (and how much money) move from one route to another."""

    before: str
    after: str
    count: int
    amount: int


class Skipped(_Out):
    """A stored submission the candidate cannot judge (its facts miss a new fact, …)."""

    project_id: str
    submission: int
    problem: str


class ImpactReport(_Out):
    """The candidate's impact on a tenant's stored submissions."""

    tenant: str
    candidate: str
    candidate_sha256: str
    since: date | None
    examined: int
    changed: int
    moves: list[RouteMove]  # route changes only, largest first
    articles: dict[str, int]  # article -> projects it changes
    projects: list[ProjectImpact]
    skipped: list[Skipped]


def _duties(decision: Mapping[str, Any]) -> dict[tuple[Any, ...], tuple[str, str, str]]:
    """What a decision obliges, keyed by what it means; value: (code, label, article)."""
    out: dict[tuple[Any, ...], tuple[str, str, str]] = {}
    for r in decision.get("requirements") or ():
        if r.get("mandatory"):
            code = r["code"]
            out[("r", code, r.get("stage"))] = (
                code,
                REQUIREMENT_LABELS.get(code, code),
                r["article"],
            )
    for t in decision.get("time_limits") or ():
        code = t["code"]
        key = (
            "t",
            code,
            t.get("from"),
            t.get("until"),
            t.get("period"),
            t.get("date"),
            t.get("ratio"),
            t.get("amount"),
        )
        out[key] = (code, TIME_LIMIT_LABELS.get(code, code), t["article"])
    return out


def _new_duties(decision: Decision) -> dict[tuple[Any, ...], tuple[str, str, str]]:
    """:func:`_duties` read from a fresh Decision (no JSON round trip on the hot path)."""
    out: dict[tuple[Any, ...], tuple[str, str, str]] = {}
    for r in decision.requirements:
        if r.mandatory:
            out[("r", r.code, r.stage)] = (
                r.code,
                REQUIREMENT_LABELS.get(r.code, r.code),
                r.article,
            )
    for t in decision.time_limits:
        key = ("t", t.code, t.from_, t.until, t.period, t.date, t.ratio, t.amount)
        out[key] = (t.code, TIME_LIMIT_LABELS.get(t.code, t.code), t.article)
    return out


def _compare(stored: StoredSubmission, after: Decision) -> ProjectImpact | None:
    before = stored.decision
    old_route = before.get("route") or {}
    route_changed = old_route.get("code") != after.route.code
    was, now = _duties(before), _new_duties(after)
    added = [Duty(code=c, label=lab, article=a) for k, (c, lab, a) in now.items() if k not in was]
    removed = [Duty(code=c, label=lab, article=a) for k, (c, lab, a) in was.items() if k not in now]
    if not route_changed and not added and not removed:
        return None
    articles: list[str] = []
    if route_changed:
        articles.append(after.route.article)
    articles.extend(d.article for d in added)
    return ProjectImpact(
        project_id=stored.project_id,
        submission=stored.submission,
        name=stored.name,
        submitted_on=stored.submitted_on,
        amount=int(stored.facts.get("amount") or 0),
        route_before=str(old_route.get("code") or ""),
        route_after=after.route.code,
        article_before=str(old_route.get("article") or ""),
        article_after=after.route.article,
        added=added,
        removed=removed,
        articles=list(dict.fromkeys(articles)),
    )


def impact(
    candidate: Pack,
    submissions: Iterable[StoredSubmission],
    *,
    since: date | None = None,
) -> ImpactReport:
    """Re-decide ``submissions`` under ``candidate`` and report the projects that change.

    Each is judged as if the candidate had been in force on its ``submitted_on``;
    ``since`` keeps only submissions on or after that date. Submissions the
    candidate cannot judge are listed as skipped, not guessed.
    """
    examined = 0
    changed: list[ProjectImpact] = []
    skipped: list[Skipped] = []
    for stored in submissions:
        if since is not None and stored.submitted_on < since:
            continue
        examined += 1
        try:
            after = evaluate(
                candidate, validate_facts(candidate, stored.facts), stored.submitted_on
            )
        except (FactsError, EvaluationError) as exc:
            skipped.append(
                Skipped(
                    project_id=stored.project_id, submission=stored.submission, problem=str(exc)
                )
            )
            continue
        found = _compare(stored, after)
        if found is not None:
            changed.append(found)
    return _report(candidate, since, examined, changed, skipped)


def _report(
    candidate: Pack,
    since: date | None,
    examined: int,
    changed: list[ProjectImpact],
    skipped: list[Skipped],
) -> ImpactReport:
    counts: Counter[tuple[str, str]] = Counter()
    amounts: Counter[tuple[str, str]] = Counter()
    articles: Counter[str] = Counter()
    for p in changed:
        articles.update(p.articles)
        if p.route_before != p.route_after:
            counts[(p.route_before, p.route_after)] += 1
            amounts[(p.route_before, p.route_after)] += p.amount
    moves = [
        RouteMove(before=b, after=a, count=n, amount=amounts[(b, a)])
        for (b, a), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return ImpactReport(
        tenant=candidate.tenant,
        candidate=candidate.id,
        candidate_sha256=candidate.sha256,
        since=since,
        examined=examined,
        changed=len(changed),
        moves=moves,
        articles=dict(sorted(articles.items(), key=lambda kv: (-kv[1], kv[0]))),
        projects=changed,
        skipped=skipped,
    )


def impact_text(report: ImpactReport) -> str:
    """The report in Chinese, for the CLI and the bureau (no ids of projects shown)."""
    r = report
    lines = [
        f"拟议政策影响分析（{r.candidate}）",
        f"重新判定已申报项目 {r.examined} 个"
        + (f"（申报日期自 {r.since.isoformat()} 起）" if r.since else "")
        + f"，判定结果将变化 {r.changed} 个，无法判定 {len(r.skipped)} 个。",
    ]
    if r.moves:
        lines.append("管理方式变化：")
        for m in r.moves:
            lines.append(
                f"  {ROUTE_LABELS.get(m.before, m.before)} → {ROUTE_LABELS.get(m.after, m.after)}："
                f"{m.count} 个，合计 {format_wan(m.amount)}"
            )
    if r.articles:
        lines.append("引起变化的条款：")
        lines.extend(f"  {a}：{n} 个项目" for a, n in r.articles.items())
    if r.projects:
        lines.append("项目明细：")
        for p in r.projects:
            title = p.name or f"第{p.submission}次申报的项目"
            route = (
                f"{ROUTE_LABELS.get(p.route_before, p.route_before)} → {ROUTE_LABELS.get(p.route_after, p.route_after)}"
                if p.route_before != p.route_after
                else f"仍为{ROUTE_LABELS.get(p.route_after, p.route_after)}"
            )
            lines.append(
                f"  - {title}（{p.submitted_on.isoformat()}，{format_wan(p.amount)}）：{route}"
            )
            if p.added:
                lines.append("    新增：" + "、".join(f"{d.label}（{d.article}）" for d in p.added))
            if p.removed:
                lines.append(
                    "    不再要求：" + "、".join(f"{d.label}（{d.article}）" for d in p.removed)
                )
    return "\n".join(lines) + "\n"
