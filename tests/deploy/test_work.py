"""`govproj work SERVICE`: the worker Deployment's process (relay + consumers, no API)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats
import pytest

from libs.common.db.migrations import upgrade
from libs.common.events import NatsUsers
from libs.common.testing.infra import NatsProcess, free_port
from libs.common.testing.platform import ready_timeout
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database
from services.registry.app import SPEC

ROOT = Path(__file__).resolve().parents[2]


def _worker(urls: DatabaseUrls, nats_url: str, port: int, home: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GOVPROJ_HOME": str(home),
        "GOVPROJ_DATABASE_URL": urls.app,
        "GOVPROJ_RELAY_DATABASE_URL": urls.relay,
        "GOVPROJ_NATS_URL": nats_url,
        "GOVPROJ_LOG_JSON": "false",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "govproj.cli", "work", "registry", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # Its own JetStream, not the session's: a fresh worker replays the whole stream before
    # it idles, and late in the suite the session's holds every earlier test's events.
    server = NatsProcess(
        tmp_path_factory.mktemp("nats"), free_port(), users=NatsUsers.generate()
    ).start()
    try:
        yield server.operator_url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def migrated(postgres_admin_url: str) -> DatabaseUrls:
    urls = make_database(postgres_admin_url)
    upgrade("registry", urls.owner)
    return urls


@pytest.fixture(scope="module")
def worker(
    migrated: DatabaseUrls, nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = free_port()
    proc = _worker(migrated, nats_url, port, tmp_path_factory.mktemp("work"))
    base = f"http://127.0.0.1:{port}"
    try:
        # It replays the session's whole stream (every earlier test's events) before its
        # probes answer promptly: late in the suite that takes more than a minute.
        deadline = time.monotonic() + max(180.0, ready_timeout())
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            proc.terminate()
            err = proc.communicate(timeout=30)[1].decode(errors="replace")
            pytest.fail(f"worker never became ready:\n{err[-3000:]}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_worker_answers_the_probes_and_serves_no_api(worker: str) -> None:
    # A fresh worker replays the stream into its inbox: on a loaded machine a probe waits.
    with httpx.Client(base_url=worker, timeout=30) as http:
        assert http.get("/healthz").json()["service"] == "registry"
        ready = http.get("/readyz").json()
        assert ready["checks"] == {"database": "ok", "nats": "ok"}
        assert http.get("/v1/tenants").status_code == 404
        assert http.get("/openapi.json").json()["paths"].keys() == {"/healthz", "/readyz"}


async def test_worker_runs_the_services_durable_consumer(worker: str, nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        deadline = time.monotonic() + 20
        while True:
            try:
                info = await js.consumer_info("GOVPROJ", SPEC.jetstream_durable)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        # Named after the service and what it reads (libs/common/events/_durables.py).
        assert info.config.durable_name == SPEC.jetstream_durable
        assert SPEC.jetstream_durable.startswith("registry-")
    finally:
        await nc.close()


def test_worker_refuses_an_out_of_date_schema(
    postgres_admin_url: str, nats_url: str, tmp_path: Path
) -> None:
    stale = make_database(postgres_admin_url)  # roles and database, no migrations
    proc = _worker(stale, nats_url, free_port(), tmp_path)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode != 0
    assert b"govproj db upgrade" in err
