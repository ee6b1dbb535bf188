"""Login, refresh and logout in Chromium: against a certified OpenID provider and the dev issuer.

Issue 19 ("login by the book") and issue 20 ("sessions that last"): with
20-second access tokens, a form posted after the token expired succeeds
because the console refreshed it, and after 退出 the next login asks for
credentials again (the provider's own login form, not a silent sign-in).

The certified provider is panva's ``oidc-provider`` (tests/oidc_provider, run
with node): ID tokens signed ``Ed25519``, JWT access tokens for the ``govproj``
audience through a resource indicator, rotating refresh tokens. The services
must trust it, so a registry of its own (same database) verifies its tokens and
a console of its own logs in there; the catalog form only needs the registry.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from libs.common.testing.infra import free_port
from libs.common.testing.platform import RunningPlatform
from libs.common.testing.processes import stop_process
from tests.browser.conftest import ARTIFACTS, TOKEN_LEEWAY_SECONDS, restart_issuer
from tests.browser.support import login

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc_provider"
YUNAN = "445322"
TOKEN_SECONDS = 20
# Past this the services refuse the old token (its exp plus the skew they tolerate),
# so a post that succeeds must have gone out with a refreshed one.
PAST_EXPIRY = TOKEN_SECONDS + TOKEN_LEEWAY_SECONDS + 5


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + float(os.environ.get("GOVPROJ_TEST_READY_TIMEOUT", timeout))
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=3).status_code == 200:
                return
        assert proc.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"{url} not ready"
        time.sleep(0.3)


@contextlib.contextmanager
def _process(
    args: list[str], env: dict[str, str], log: Path, ready: str, cwd: Path | None = None
) -> Iterator[None]:
    with log.open("ab") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=out, cwd=cwd)
    try:
        _wait_http(ready, proc, log)
        yield
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def unit(browser_platform: RunningPlatform) -> str:
    """A Yunan unit, so the catalog form has a 主管单位 to pick."""
    with browser_platform.client("registry") as registry:
        r = registry.post(
            "/v1/units",
            headers=browser_platform.headers(YUNAN, "bureau_officer"),
            json={"name": f"郁南县登录测试局{uuid.uuid4().hex[:6]}"},
        )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _register_after_expiry(page: Any, system: str, *, waited: float) -> None:
    """Open the catalog, wait until the access token has expired, then post the form."""
    page.goto("/catalog")
    page.fill("#sys-name", system)
    page.wait_for_timeout(int(waited * 1000))
    page.click("form[action='/catalog'] button[type=submit]")
    page.wait_for_load_state()
    assert f"系统“{system}”已登记" in page.content(), page.content()[-2000:]
    assert system in page.locator("table").first.inner_text()


def _session_cookie(page: Any) -> str:
    cookies = page.context.cookies()
    chunks = sorted(
        (c for c in cookies if c["name"].startswith("govproj_portal")),
        key=lambda c: c["name"],
    )
    return "".join(c["value"] for c in chunks if c["name"] != "govproj_portal_form")


# --- against panva's oidc-provider ------------------------------------------------


@pytest.fixture(scope="module")
def provider(browser_platform: RunningPlatform, unit: str) -> Iterator[dict[str, str]]:
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed: the certified OpenID provider cannot run")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            "tests/oidc_provider/node_modules is missing although node is here: "
            "run scripts/bootstrap.sh (npm ci)"
        )
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    console_port = free_port()
    console = f"http://127.0.0.1:{console_port}"
    accounts = {"li.ming": {"tenant": YUNAN, "roles": ["bureau_officer"], "name": "李明"}}
    logs = browser_platform.home / "logs"
    env = {
        **os.environ,
        "PORT": str(port),
        "PORTAL_URL": console,
        "ACCOUNTS": json.dumps(accounts),
        "ACCESS_TOKEN_SECONDS": str(TOKEN_SECONDS),
    }
    op = _process(
        [node, "server.mjs"],
        env,
        logs / "oidc-provider.log",
        f"{issuer}/.well-known/openid-configuration",
        cwd=PROVIDER_DIR,
    )
    registry_port = free_port()
    registry_url = f"http://127.0.0.1:{registry_port}"
    trusting = {**os.environ, **browser_platform.env, "GOVPROJ_OIDC_ISSUER": issuer}
    registry = _process(
        [sys.executable, "-m", "govproj.cli", "serve", "registry", "--port", str(registry_port)],
        trusting,
        logs / "registry-oidc-provider.log",
        f"{registry_url}/readyz",
    )
    full = {
        **trusting,
        "GOVPROJ_PORTAL_PORT": str(console_port),
        "GOVPROJ_PORTAL_PUBLIC_URL": console,
        **{f"GOVPROJ_PORTAL_{s.upper()}_URL": u for s, u in browser_platform.urls.items()},
        "GOVPROJ_PORTAL_REGISTRY_URL": registry_url,
        "GOVPROJ_PORTAL_SCOPE": "openid profile api",
        "GOVPROJ_PORTAL_RESOURCE": "urn:govproj:api",
    }
    portal = _process(
        [sys.executable, "-m", "services.portal"],
        full,
        logs / "portal-oidc-provider.log",
        f"{console}/readyz",
    )
    with contextlib.ExitStack() as stack:
        stack.enter_context(op)
        stack.enter_context(registry)
        stack.enter_context(portal)
        yield {"issuer": issuer, "console": console}


def _provider_login(page: Any, login_name: str) -> None:
    """The provider's own login form (devInteractions): any password is accepted."""
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login_name)
    page.fill("input[name=password]", "any-password")
    page.click("button[type=submit]")


def test_certified_provider_login_refresh_and_logout(
    browser: Any, provider: dict[str, str]
) -> None:
    context = browser.new_context(
        base_url=provider["console"], locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        page.goto("/catalog")  # not logged in: to the provider, and back to this page
        assert page.url.startswith(provider["issuer"]), page.url
        _provider_login(page, "li.ming")
        page.wait_for_url(re.compile(re.escape(provider["console"]) + r"/catalog"))
        first = _session_cookie(page)

        system = f"登录测试系统{uuid.uuid4().hex[:6]}"
        _register_after_expiry(page, system, waited=PAST_EXPIRY)
        assert _session_cookie(page) != first, "the session was not refreshed"
        page.screenshot(path=str(ARTIFACTS / "login-oidc-provider-refreshed.png"), full_page=True)

        # 退出: the console's session and the provider's, so the next login asks again.
        page.click("form[action='/logout'] button[type=submit]")
        page.wait_for_url(re.compile(re.escape(provider["issuer"])))
        page.click("button[name=logout][value=yes]")  # the provider confirms the sign-out
        page.wait_for_url(re.compile(r"/signed-out"))
        assert not _session_cookie(page)
        page.goto("/catalog")
        assert page.url.startswith(provider["issuer"]), page.url
        page.wait_for_selector("input[name=password]")  # it asks for credentials again
        page.screenshot(path=str(ARTIFACTS / "login-oidc-provider-asks-again.png"), full_page=True)
    finally:
        context.close()


# --- against the development issuer -----------------------------------------------


@pytest.fixture(scope="module")
def short_tokens(browser_platform: RunningPlatform) -> Iterator[None]:
    """The platform's dev issuer restarted with short-lived access tokens (then as before)."""
    # A loaded machine starts Python slowly: the tests' own ready timeout, not 60 s.
    timeout = float(os.environ.get("GOVPROJ_TEST_READY_TIMEOUT", 300))
    restart_issuer(
        browser_platform,
        {"GOVPROJ_DEV_ISSUER_ACCESS_TOKEN_SECONDS": str(TOKEN_SECONDS)},
        timeout=timeout,
    )
    try:
        yield
    finally:
        restart_issuer(browser_platform, timeout=timeout)


def test_dev_issuer_login_refresh_and_logout(new_page: Any, short_tokens: None, unit: str) -> None:
    page = new_page()
    page.context.set_default_timeout(60_000)
    login(page, tenant=YUNAN, role="bureau_officer", user="wang.fang")
    first = _session_cookie(page)
    system = f"开发登录测试系统{uuid.uuid4().hex[:6]}"
    _register_after_expiry(page, system, waited=PAST_EXPIRY)
    assert _session_cookie(page) != first, "the session was not refreshed"

    page.click("form[action='/logout'] button[type=submit]")
    page.wait_for_url(re.compile(r"/signed-out"))
    assert not _session_cookie(page)
    page.goto("/catalog")
    # The issuer's page asks who you are again (it keeps no login session of its own).
    page.wait_for_url(re.compile(r"/authorize\?"))
    assert page.locator("#role").is_visible()
