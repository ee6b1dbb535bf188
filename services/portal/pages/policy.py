"""Policy packs: a tenant's regulation article by article, and the differences between two.

Which packs a person may read is the approval service's answer (GET /v1/policies,
visible tenants only); the regulation's text and the comparison come from the
same packs loaded here with libs/policy (pure: no decision is made here).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from libs.policy import PolicyRegistry, load_registry
from libs.policy.lint import cn_number
from libs.policy.render import format_value
from libs.vocab import ROUTE_LABELS, label
from services.portal.client import ApiError
from services.portal.policy_compare import compare, sentence
from services.portal.web import CurrentUser, render

router = APIRouter(include_in_schema=False)

_PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*\}")
_ARTICLE = re.compile(r"第([一二三四五六七八九十百零〇两0-9]+)条")


@lru_cache(maxsize=4)
def _packs(root: Path) -> PolicyRegistry:
    return load_registry(root)


def packs_of(request: Request) -> PolicyRegistry:
    return _packs(Path(request.app.state.common.policies_dir))


def article_number(citation: str | None) -> int | None:
    m = _ARTICLE.search(citation or "")
    return cn_number(m.group(1)) if m else None


Fill = Callable[[str | None, str | None], str]


def _items(spec: dict[str, Any], fill: Fill) -> dict[int, list[dict[str, str]]]:
    """Every rule, parameter and duty of a pack, grouped by the article it cites.

    ``fill`` turns an explanation's template into the sentence people read (values,
    the authority's name; policy_compare.sentence).
    """
    by: dict[int, list[dict[str, str]]] = defaultdict(list)

    def add(citation: str | None, section: str, name: str, text: str) -> None:
        n = article_number(citation)
        if n is not None:
            by[n].append(
                {
                    "section": label("pack_section", section),
                    "name": name,
                    "text": text,
                    "citation": citation or "",
                }
            )

    for role, a in (spec.get("authorities") or {}).items():
        add(a.get("article"), "authorities", label("role", role), a.get("name", ""))
    for code, f in (spec.get("facts") or {}).items():
        add(f.get("article"), "facts", f.get("label") or code, "申报项目时须说明的情况")
    for code, p in (spec.get("parameters") or {}).items():
        # A parameter the text leaves open has no value in the pack (issue 17).
        value = p.get("value")
        shown = "由主管机关设定" if value is None else format_value(value, p.get("type", ""))
        add(p.get("article"), "parameters", p.get("label") or code, shown)
    for rule in spec.get("scope") or []:
        add(
            rule.get("article"),
            "scope",
            label("route", rule.get("route")),
            fill(rule.get("explanation"), rule.get("authority")),
        )
    for rule in spec.get("routes") or []:
        for band in rule.get("bands") or [rule]:
            add(
                band.get("article") or rule.get("article"),
                "routes",
                label("route", band.get("route")),
                fill(band.get("explanation"), band.get("authority")),
            )
    for r in spec.get("requirements") or []:
        add(
            r.get("article"),
            "requirements",
            r.get("label") or label("requirement", r.get("code")),
            fill(r.get("explanation"), r.get("authority") or r.get("actor")),
        )
    for t in spec.get("time_limits") or []:
        add(
            t.get("article"),
            "time_limits",
            label("time_limit", t.get("code")),
            fill(t.get("explanation"), None),
        )
    return by


@router.get("/policies", response_class=HTMLResponse)
async def policies(request: Request, user: CurrentUser) -> HTMLResponse:
    listed = await user.api.get("approval", "/v1/policies")
    return render(request, "policy/list.html", user, title="政策包", packs=listed)


@router.get("/policies/diff", response_class=HTMLResponse)
async def diff(
    request: Request, user: CurrentUser, a: str = "", b: str = "", c: str = ""
) -> HTMLResponse:
    """Two or three packs side by side, parameter by parameter and rule by rule."""
    listed = await user.api.get("approval", "/v1/policies")
    visible = {p["id"] for p in listed}
    chosen = [x for x in (a, b, c) if x]
    context: dict[str, Any] = {
        "packs": listed,
        "a": a,
        "b": b,
        "c": c,
        "groups": None,
        "title": "政策对比",
    }
    if a or b or c:
        names = {p["id"]: p["name"] for p in listed}
        missing = [x for x in (a, b) if x not in visible] + [c] * (bool(c) and c not in visible)
        if missing:
            shown = "、".join(names.get(x, "所选政策包") for x in missing if x) or "（未选择）"
            return render(
                request,
                "policy/diff.html",
                user,
                404,
                error=f"找不到政策包{shown}，或它不属于您可见的辖区。",
                **context,
            )
        if len(set(chosen)) != len(chosen):
            return render(
                request,
                "policy/diff.html",
                user,
                422,
                error="请选择不同的政策包进行对比。",
                **context,
            )
        reg = packs_of(request)
        compared = [reg.get(x) for x in chosen]
        groups = compare(compared)
        context.update(
            groups=groups,
            compared=compared,
            differences=sum(g.differences for g in groups),
        )
    return render(request, "policy/diff.html", user, **context)


@router.get("/policies/exceptions", response_class=HTMLResponse)
async def exceptions(request: Request, user: CurrentUser) -> HTMLResponse:
    """Exceptions to softened rules the caller may read, and their count per county per year."""
    listed = await user.api.get("approval", "/v1/policy/exceptions")
    counts = await user.api.get("approval", "/v1/policy/exceptions/summary")
    years = sorted({c["year"] for c in counts}, reverse=True)
    table: dict[str, dict[int, int]] = defaultdict(dict)
    for c in counts:
        table[c["tenant"]][c["year"]] = c["count"]
    return render(
        request,
        "policy/exceptions.html",
        user,
        title="例外决定",
        exceptions=listed,
        years=years,
        table=dict(sorted(table.items())),
    )


async def _impact_page(
    request: Request, user: CurrentUser, status: int = 200, **context: Any
) -> HTMLResponse:
    context.setdefault("report", None)
    context.setdefault("values", {})
    context.setdefault("route_labels", ROUTE_LABELS)
    return render(request, "policy/impact.html", user, status, title="拟议政策影响分析", **context)


@router.get("/policies/impact", response_class=HTMLResponse)
async def impact_form(request: Request, user: CurrentUser) -> HTMLResponse:
    user.require("bureau_officer")
    return await _impact_page(request, user)


@router.post("/policies/impact", response_class=HTMLResponse)
async def impact_run(request: Request, user: CurrentUser) -> HTMLResponse:
    """Re-decide the jurisdiction's submissions under a candidate pack (a draft, a threshold)."""
    user.require("bureau_officer")
    form = await request.form()
    values = {"pack": str(form.get("pack") or ""), "since": str(form.get("since") or "")}
    if not values["pack"].strip():
        return await _impact_page(
            request, user, 422, error="请粘贴拟议政策包（YAML）", values=values
        )
    body = {"pack": values["pack"], "since": values["since"] or None}
    try:
        report = await user.api.post("approval", "/v1/policy/impact", body)
    except ApiError as exc:
        if exc.status == 401:
            raise
        return await _impact_page(request, user, exc.status, error=exc.message, values=values)
    return await _impact_page(request, user, report=report, values=values)


@router.get("/policies/{pack_id}", response_class=HTMLResponse)
async def pack(request: Request, user: CurrentUser, pack_id: str) -> HTMLResponse:
    # The approval service decides whether this person may read the pack (404 otherwise).
    served = await user.api.get("approval", f"/v1/policies/{pack_id}")
    spec = served["pack"]
    local = packs_of(request).get(pack_id) if pack_id in packs_of(request) else None
    texts = dict(local.source_text.articles) if local and local.source_text else {}

    def fill(text: str | None, authority: str | None) -> str:
        if local is not None:
            return sentence(local, text, authority)
        return _PLACEHOLDER.sub("", text or "")  # no local copy: leave the values out

    cited = _items(spec, fill)
    numbers = sorted(set(texts) | set(cited))
    articles = [
        {"n": n, "anchor": _anchor(n), "text": texts.get(n, ""), "items": cited.get(n, [])}
        for n in numbers
    ]
    return render(
        request,
        "policy/pack.html",
        user,
        title=served["document"]["title"],
        served=served,
        articles=articles,
    )


def _anchor(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        cn = digits[n]
    elif n < 20:
        cn = "十" + (digits[n % 10] if n % 10 else "")
    elif n < 100:
        cn = digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    else:
        cn = str(n)
    return f"第{cn}条"
