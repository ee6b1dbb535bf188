"""The console speaks to people, not to machines (issue 20): a crawler reads every page.

It logs in as every role of two counties (湘桥区, 潮安区) and their city (潮州市),
visits every page reachable from the menu and from each project (links to depth 3,
same origin, GET only) in a 1,400 px window, and fails on what only a machine
should see: a UUID, a snake_case code or a dotted event type, a Python repr, an
ISO time with "+00:00", a page wider than the window, or a serious or critical
axe-core violation (axe-core from npm, tests/browser/axe, injected by Playwright).

The data is real: 潮州市 has a project filed, built, accepted, with its documents
and opinions; 湘桥区 one through its review workflow; 潮安区 one awaiting review;
each a consolidated plan. Pages of one kind (the same address with its ids and
years left out) are read once per role and level (city, county), axe once per kind,
policy pages once per level, so the crawl stays near two minutes.
"""

from __future__ import annotations

import re
import time
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from libs.common.deadlines import today_in_china
from libs.common.testing.platform import RunningPlatform
from libs.vocab import ROLE_LABELS
from tests.browser.conftest import ARTIFACTS
from tests.browser.support import SERIOUS, login
from tests.integration.acceptance_support import (
    UNITS,
    YEAR,
    acceptance_body,
    build,
    complete,
    has_doc,
    planned_project,
    run_workflow,
    submit,
    unit_headers,
    upload,
)
from tests.support.registry import wait_state

# 潮安区 first: its project awaits review, so the county's queue and step pages have content.
CITY, COUNTIES = "445100", ("445103", "445102")
ROLES = tuple(r for r in ROLE_LABELS if r != "platform_admin")
WIDTH = 1400
DEPTH = 3
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"

# What a person must never read. File extensions are the one dotted lower-case text
# people do read (a file's name), so they are not taken for event types.
MACHINE_TEXT = {
    "UUID": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I),
    "snake_case 代码": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "事件类型/点分代码": re.compile(
        r"\b[a-z]{3,}(?:\.[a-z_]{2,})+(?:\.v\d+)?\b(?<!\.pdf)(?<!\.ofd)(?<!\.txt)(?<!\.xml)"
    ),
    "registry:create 式代码": re.compile(r"\b[a-z]+:[a-z_]+\b"),
    "Python 表示": re.compile(r"\['|\{'|\bNone\b|\bTrue\b|\bFalse\b"),
    "UTC 时间": re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?\+00:00"),
}
# Not pages: downloads, the login round trip, static files.
PROJECT = re.compile(r"/projects/[0-9a-f-]{36}")
# Not pages: sign-in, static files, and downloads (file contents, .xlsx exports, PDFs,
# packages), which open no page to read.
SKIP = re.compile(
    r"^/(?:static/|login|logout|callback|signed-out|resume|documents/[^/]+/content|exports/)"
    r"|\.(?:pdf|xlsx|zip)$|/(?:content|pdf)$"
)


@pytest.fixture(scope="module")
def seeded(browser_platform: RunningPlatform) -> dict[str, str]:
    """One project per jurisdiction, the city's past acceptance; each tenant's unit name."""
    p = browser_platform
    today = today_in_china()
    with (
        p.client("registry") as registry,
        p.client("approval") as approval,
        p.client("budget") as budget,
        p.client("acceptance") as acceptance,
        p.client("archive") as archive,
    ):
        pids = {t: planned_project(p, registry, t) for t in (CITY, *COUNTIES)}
        for tenant in (CITY, *COUNTIES):
            submit(p, registry, tenant, pids[tenant])
        for tenant in (CITY, COUNTIES[1]):
            # Opinions in words people write: the crawl reads them on the 流程 tab.
            run_workflow(p, approval, tenant, pids[tenant], opinion="经审核，同意。")
        city = pids[CITY]
        wait_state(p, registry, CITY, city, "filed")
        build(p, budget, archive, CITY, city, started_on=today, signed_on=today)
        wait_state(p, registry, CITY, city, "implementing")
        complete(p, acceptance, CITY, city, today)
        report = upload(p, archive, CITY, city, "acceptance_report", "智慧政务平台验收报告")
        has_doc(p, acceptance, CITY, city, report)
        r = acceptance.post(
            f"/v1/projects/{city}/acceptance",
            headers=unit_headers(p, CITY, city),
            json=acceptance_body(report, today),
        )
        assert r.status_code == 200, r.text
        wait_state(p, registry, CITY, city, "accepted")
        bureau = {t: p.headers(t, "bureau_officer") for t in (CITY, *COUNTIES)}
        return {
            t: registry.get(f"/v1/units/{UNITS[pid]}", headers=bureau[t]).json()["name"]
            for t, pid in pids.items()
        }


def kind_of(url: str) -> str:
    """A page's kind: its address with ids, years and pack names left out; the tab kept."""
    parts = urlsplit(url)
    path = MACHINE_TEXT["UUID"].sub("{id}", parts.path)
    path = re.sub(r"/\d{4}\b", "/{year}", path)
    path = re.sub(r"^/policies/(?!diff|exceptions|impact)[^/]+$", "/policies/{pack}", path)
    query = dict(parse_qsl(parts.query))
    kept = [f"tab={query['tab']}"] if "tab" in query else []
    kept += [k for k in ("a", "b", "c", "workflow") if k in query]
    return path + ("?" + "&".join(kept) if kept else "")


def _links(page: Any, origin: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def _problems(page: Any, url: str, *, run_axe: bool) -> list[str]:
    found = []
    # The sections htmx loads into the page (documents, archive) replace their placeholders.
    try:
        page.wait_for_function("!document.querySelector(\"[hx-trigger='load']\")")
    except Exception:  # a section that never loads reads 正在读取…… for good: say which
        stuck = page.eval_on_selector_all(
            "[hx-trigger='load']", "els => els.map(e => e.getAttribute('hx-get'))"
        )
        found.append(f"{url}: sections never loaded: {stuck}")
    text = page.inner_text("body")
    for what, pattern in MACHINE_TEXT.items():
        for m in list(pattern.finditer(text))[:3]:
            around = text[max(0, m.start() - 25) : m.end() + 25].replace("\n", " ")
            found.append(f"{url}: {what} “{m.group(0)}” in …{around}…")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        found.append(f"{url}: {width} px wide in a {WIDTH} px window")
    if run_axe:
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 2).map(n => n.target.join(' '))}))"
        )
        found += [
            f"{url}: axe {v['id']} ({v['impact']}): {v['help']} @ {v['nodes']}"
            for v in violations
            if v["impact"] in SERIOUS
        ]
    return found


@pytest.mark.timeout(900)  # the platform starts and the data is seeded within this too
def test_no_page_shows_people_what_only_machines_should_see(
    new_page: Any, portal_url: str, seeded: dict[str, str]
) -> None:
    if not AXE.exists():
        pytest.fail(
            "axe-core is not installed: run scripts/bootstrap.sh (npm ci in tests/browser/axe)"
        )
    started = time.monotonic()
    problems: list[str] = []
    read: set[tuple[str, str, str]] = set()  # (role, level, kind)
    axed: set[str] = set()
    visits = 0
    for tenant in (CITY, *COUNTIES):
        level = "city" if tenant == CITY else "county"
        for role in ROLES:
            page = new_page(WIDTH)
            login(
                page,
                tenant=tenant,
                role=role,
                unit=seeded[tenant] if role == "unit_officer" else None,
            )
            # The menu, each project's pages and the comparison of the city's three packs.
            queue: deque[tuple[str, int]] = deque(
                [("/", 0), ("/projects", 1), (f"/plans/{YEAR}", 1)]
            )
            queue.append(("/policies/diff?a=chaozhou-2020&b=xiangqiao-2020&c=chaoan-2020", 1))
            while queue:
                url, depth = queue.popleft()
                # The regulations read the same for every role (the impact form is the bureau's).
                neutral = url.startswith("/policies") and not url.startswith("/policies/impact")
                key = ("*" if neutral else role, level, kind_of(url))
                if key in read:
                    continue
                read.add(key)
                page.goto(url)
                visits += 1
                first = kind_of(url) not in axed
                axed.add(kind_of(url))
                problems += [f"[{tenant} {role}] {p}" for p in _problems(page, url, run_axe=first)]
                if depth < DEPTH:
                    # A project's page is a root of its own: its tabs, their links, theirs.
                    queue.extend(
                        (link, 0 if PROJECT.fullmatch(link) else depth + 1)
                        for link in _links(page, portal_url)
                    )
            page.close()
            with (ARTIFACTS / "crawl-progress.txt").open("a") as log:
                log.write(f"{tenant} {role}: {visits} pages, {time.monotonic() - started:.0f} s\n")
    kinds = {k for _, _, k in read}
    elapsed = time.monotonic() - started
    summary = f"crawled {visits} pages ({len(axed)} kinds) in {elapsed:.0f} s"
    (ARTIFACTS / "crawl.txt").write_text("\n".join([summary, *sorted(kinds), *problems]))
    assert not problems, f"{summary}; {len(problems)} problems:\n" + "\n".join(problems[:60])
    # The crawl saw the real content: the accepted project's tabs, its trail, a plan.
    for expected in (
        "/projects/{id}?tab=acceptance",
        "/projects/{id}?tab=archive",
        "/projects/{id}?tab=workflow",
        "/projects/{id}/trail",
        "/steps/{id}?workflow",
        "/plans/{year}",
        "/policies/diff?a&b&c",
        "/dashboard",
    ):
        assert expected in kinds, sorted(kinds)
