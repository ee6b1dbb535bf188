"""The console in a real headless Chromium against the whole platform.

One platform (PostgreSQL, NATS, issuer, five services) and one console per
session, all real processes; Playwright drives Debian's /usr/bin/chromium (the
test command installs it: scripts/bootstrap.sh). Every page a test visits is
screenshotted into ``test-artifacts/browser/`` and checked with axe-core: no
serious or critical violation.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from govproj.dev.demo import DEMO_TENANTS
from govproj.dev.stack import start_virus_scanner
from libs.common.db.migrations import upgrade
from libs.common.events import NatsUsers
from libs.common.settings import SERVICES
from libs.common.testing.infra import NatsProcess, free_port, wait_for_port
from libs.common.testing.platform import RunningPlatform, ready_timeout, run_platform
from libs.common.testing.processes import stop_process
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The skew every process of the browser platform tolerates on a token's exp.
TOKEN_LEEWAY_SECONDS = 5
ARTIFACTS = (
    Path(
        os.environ.get(
            "GOVPROJ_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"
        )
    )
    / "browser"
)

if not CHROMIUM.exists():  # bootstrap.sh installs it where it may (root + apt)
    pytest.skip("Debian chromium is not installed (/usr/bin/chromium)", allow_module_level=True)

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="package")
def browser_platform(postgres_admin_url: str, infra_tmp: Path) -> Iterator[RunningPlatform]:
    urls: DatabaseUrls = make_database(postgres_admin_url)
    for service in SERVICES:
        upgrade(service, urls.owner)
    # A NATS server of its own: the services' durable consumers are named after the
    # service, so two platforms on one server would take each other's events.
    nats = NatsProcess(infra_tmp / "browser-nats", free_port(), users=NatsUsers.generate()).start()
    # clamd as `govproj dev up` starts it (test signatures only on these machines), so
    # 档案验收 can pass here and its reports carry the development notice.
    home = infra_tmp / "browser-platform"
    clamd = start_virus_scanner(home)
    scanner = {"GOVPROJ_ARCHIVE_CLAMD_SOCKET": str(clamd.socket)} if clamd else {}
    try:
        with run_platform(
            home,
            app_url=urls.app,
            owner_url=urls.owner,
            relay_url=urls.relay,
            nats_url=nats.operator_url,
            nats_users=nats.users,
            # Every process of this platform reads one clock: 5 s of skew tolerance
            # instead of 30 lets the login tests wait out an expired token sooner.
            extra_env={**scanner, "GOVPROJ_TOKEN_LEEWAY_SECONDS": str(TOKEN_LEEWAY_SECONDS)},
        ) as running:
            admin = running.headers("440000", "platform_admin", user="admin")
            with running.client("registry") as registry:
                for code, name, level, parent in DEMO_TENANTS:
                    body = {"code": code, "name": name, "level": level, "parent_code": parent}
                    for _ in range(50):
                        r = registry.post("/v1/tenants", headers=admin, json=body)
                        # A parent created a moment ago may not be in the tree the registry reads yet.
                        if r.status_code != 422:
                            break
                        time.sleep(0.1)
                    assert r.status_code in (201, 409), r.text
            restart_issuer(running)
            yield running
    finally:
        nats.stop()
        if clamd is not None:
            clamd.stop()


def restart_issuer(
    platform: RunningPlatform,
    extra: Mapping[str, str] | None = None,
    *,
    timeout: float | None = None,
) -> None:
    """The same issuer (same port, same keys), now told where the registry is for its unit
    picker, with ``extra`` settings (a test's short-lived tokens)."""
    port = int(platform.issuer_url.rsplit(":", 1)[1])
    stop_process(platform.procs.pop("issuer"), grace=15)
    log = (platform.home / "logs" / "issuer.log").open("ab")
    platform.procs["issuer"] = subprocess.Popen(
        [sys.executable, "-m", "govproj.cli", "dev", "issuer", "--port", str(port)],
        env={
            **os.environ,
            **platform.env,
            "GOVPROJ_DEV_ISSUER_PORT": str(port),
            "GOVPROJ_DEV_ISSUER_REGISTRY_URL": platform.urls["registry"],
            **(extra or {}),
        },
        stdout=log,
        stderr=log,
    )
    wait_for_port(port, timeout=timeout or ready_timeout())


@pytest.fixture(scope="package")
def portal_url(browser_platform: RunningPlatform) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **browser_platform.env,
        "GOVPROJ_PORTAL_PORT": str(port),
        "GOVPROJ_PORTAL_PUBLIC_URL": url,
        **{f"GOVPROJ_PORTAL_{s.upper()}_URL": u for s, u in browser_platform.urls.items()},
    }
    log = (browser_platform.home / "logs" / "portal.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.portal"], env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            assert proc.poll() is None, browser_platform.log("portal")[-3000:]
            assert time.monotonic() < deadline, "portal not ready"
            time.sleep(0.2)
        yield url
    finally:
        stop_process(proc)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    # Package scope, not session: Playwright's sync API keeps an event loop running in
    # this thread while it lives, and every later test that calls asyncio.run() (and
    # the browser platform's processes) must not outlive the browser tests.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Screenshots are test output, never commits.
    (ARTIFACTS.parent / ".gitignore").write_text("*\n")
    with playwright_sync.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def new_page(request: pytest.FixtureRequest, browser: Any, portal_url: str) -> Iterator[Any]:
    """A fresh browser context per person (its own cookies), opened pages closed after the test.

    When the test fails, every page it had open is screenshotted as it was.
    """
    contexts: list[Any] = []

    def make(width: int = 1280) -> Any:
        context = browser.new_context(
            base_url=portal_url, locale="zh-CN", viewport={"width": width, "height": 900}
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield make
    if request.node.stash.get(_FAILED, False):
        for i, c in enumerate(contexts):
            for j, p in enumerate(c.pages):
                with contextlib.suppress(Exception):
                    p.screenshot(
                        path=str(ARTIFACTS / f"FAILED-{request.node.name}-{i}-{j}.png"),
                        full_page=True,
                    )
    for c in contexts:
        c.close()
