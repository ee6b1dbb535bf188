"""Run the five services (and the dev issuer) as real processes against test infrastructure.

The integration tests and the fuzzing talk to them over HTTP exactly as the
console and other systems will: real tokens, real PostgreSQL, real NATS.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from libs.common.events import NatsUsers
from libs.common.settings import SERVICES
from libs.common.testing.infra import free_port, wait_for_port
from libs.common.testing.processes import stop_process

__all__ = ["RunningPlatform", "eventually", "ready_timeout", "run_platform"]


@dataclass
class RunningPlatform:
    home: Path
    env: dict[str, str]
    issuer_url: str
    urls: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def token(
        self,
        tenant: str,
        *roles: str,
        user: str | None = None,
        unit: str | None = None,
        name: str | None = None,
    ) -> str:
        from govproj.dev.issuer import mint_token

        return mint_token(
            self.home,
            issuer=self.issuer_url,
            audience="govproj",
            tenant=tenant,
            roles=list(roles),
            user=user or f"{roles[0]}@{tenant}",
            unit=unit,
            name=name,
        )

    def headers(self, tenant: str, *roles: str, **kw: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(tenant, *roles, **kw)}"}

    def client(self, service: str) -> httpx.Client:
        return httpx.Client(base_url=self.urls[service], timeout=15)

    def log(self, name: str) -> str:
        path = self.home / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_service(self, service: str) -> None:
        port = int(self.urls[service].rsplit(":", 1)[1])
        self.procs[service] = _spawn(
            self.home,
            service,
            [sys.executable, "-m", "govproj.cli", "serve", service, "--port", str(port)],
            self.env,
        )
        _wait_ready(self, service)

    def stop_service(self, service: str, *, kill: bool = False) -> None:
        proc = self.procs.pop(service, None)
        if proc is None:
            return
        if kill:
            proc.kill()
        stop_process(proc, grace=15)


def _spawn(home: Path, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (home / "logs" / f"{name}.log").open("ab")
    return subprocess.Popen(args, env={**os.environ, **env}, stdout=log, stderr=log)


def ready_timeout() -> float:
    """Seconds a started process gets to answer (``GOVPROJ_TEST_READY_TIMEOUT``, default 180).

    A loaded 2-core machine can take longer than a minute to start five services at once:
    a run beside benchmarks (load 8) saw the browser platform's registry print nothing for
    60 s while fifteen processes imported at once. Waiting longer costs nothing when a
    process starts quickly, and one that dies is seen at once (its exit is polled).
    """
    return float(os.environ.get("GOVPROJ_TEST_READY_TIMEOUT", "180"))


def _wait_ready(platform: RunningPlatform, service: str, timeout: float | None = None) -> None:
    timeout = timeout or ready_timeout()
    deadline = time.monotonic() + timeout
    proc = platform.procs[service]
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(platform.urls[service] + "/readyz", timeout=2).status_code == 200:
                return
        if proc.poll() is not None:
            raise RuntimeError(
                f"{service} exited ({proc.returncode}):\n{platform.log(service)[-4000:]}"
            )
        time.sleep(0.1)
    raise TimeoutError(f"{service} not ready:\n{platform.log(service)[-4000:]}")


@contextlib.contextmanager
def run_platform(
    home: Path,
    *,
    app_url: str,
    owner_url: str,
    relay_url: str,
    nats_url: str,
    services: tuple[str, ...] = SERVICES,
    nats_users: NatsUsers | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[RunningPlatform]:
    """Start the issuer and ``services`` (migrations must already be at head).

    With ``nats_users`` each service connects as its own NATS user (publishing
    only its own subjects); ``nats_url`` (``GOVPROJ_NATS_URL``) is what the
    tests and the processes they spawn (a finance simulator) connect with.
    ``extra_env`` is given to every process (e.g. the archive's clamd socket).
    """
    (home / "logs").mkdir(parents=True, exist_ok=True)
    (home / "objects").mkdir(exist_ok=True)
    issuer_port = free_port()
    issuer_url = f"http://127.0.0.1:{issuer_port}"
    env = {
        "GOVPROJ_HOME": str(home),
        "GOVPROJ_DATABASE_URL": app_url,
        "GOVPROJ_MIGRATION_DATABASE_URL": owner_url,
        "GOVPROJ_RELAY_DATABASE_URL": relay_url,
        "GOVPROJ_NATS_URL": nats_url,
        "GOVPROJ_OIDC_ISSUER": issuer_url,
        "GOVPROJ_OIDC_AUDIENCE": "govproj",
        "GOVPROJ_STORAGE_BACKEND": "filesystem",
        "GOVPROJ_STORAGE_ROOT": str(home / "objects"),
        "GOVPROJ_LOG_JSON": "true",
        **(extra_env or {}),
    }
    if nats_users is not None:
        # Each service reads only its own GOVPROJ_<SERVICE>_NATS_* (service_settings).
        for service in services:
            env.update(nats_users.service_env(service))
    urls = {s: f"http://127.0.0.1:{free_port()}" for s in services}
    platform = RunningPlatform(home=home, env=env, issuer_url=issuer_url, urls=urls)
    platform.procs["issuer"] = _spawn(
        home,
        "issuer",
        [sys.executable, "-m", "govproj.cli", "dev", "issuer", "--port", str(issuer_port)],
        {**env, "GOVPROJ_DEV_ISSUER_PORT": str(issuer_port)},
    )
    try:
        wait_for_port(issuer_port, timeout=ready_timeout())
        for service in services:
            port = urls[service].rsplit(":", 1)[1]
            platform.procs[service] = _spawn(
                home,
                service,
                [sys.executable, "-m", "govproj.cli", "serve", service, "--port", port],
                env,
            )
        for service in services:
            _wait_ready(platform, service)
        yield platform
    finally:
        for name in list(platform.procs):
            platform.stop_service(name)


def eventually(check: Callable[[], bool], *, timeout: float = 15.0, interval: float = 0.1) -> None:
    """Wait until ``check()`` holds (events cross processes asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    assert check(), "condition did not hold in time"
