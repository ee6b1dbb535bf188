"""One NATS user per service: the server itself refuses a service publishing another's events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.errors import NoServersError
from nats.js.errors import NoStreamResponseError

from libs.common.events import (
    NatsUsers,
    ensure_streams,
    make_event,
    publish_allowed,
    to_nats,
    with_credentials,
)
from libs.common.testing.infra import NatsProcess, free_port

FORGED_SUBJECT = "govproj.445103.registry.tenant.updated"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsProcess]:
    tmp = tmp_path_factory.mktemp("nats-users")
    conf = tmp / "durable.conf"
    conf.write_text("jetstream {\n  sync_interval: always\n}\n")
    proc = NatsProcess(
        tmp / "store", free_port(), extra_args=("-c", str(conf)), users=NatsUsers.generate()
    ).start()
    try:
        yield proc
    finally:
        proc.stop()


def _tenant_updated(source_service: str = "registry") -> tuple[str, dict[str, str], bytes]:
    ev = make_event(
        tenant="445103",
        service=source_service,
        aggregate="tenant",
        event="updated",
        data={"tenant": "445103", "code": "445103", "name": "潮安区", "level": "county"},
        actor={"type": "system", "id": "forger", "tenant": None, "roles": []},
    )
    _, headers, payload = to_nats(ev)
    return FORGED_SUBJECT, headers, payload


async def _publish_as(server: NatsProcess, user: str, subject: str) -> tuple[Any, list[str]]:
    """Publish to JetStream as ``user``; the PubAck (or the exception) and the server's errors."""
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    nc = await nats.connect(server.url_for(user), error_cb=on_error, max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        _, headers, payload = _tenant_updated()
        try:
            result: Any = await js.publish(subject, payload, headers=headers, timeout=1)
        except (TimeoutError, NoStreamResponseError) as exc:
            result = exc
        await asyncio.sleep(0.1)  # the -ERR arrives asynchronously
        return result, errors
    finally:
        await nc.close()


async def test_a_service_publishes_its_own_events(server: NatsProcess) -> None:
    ack, errors = await _publish_as(server, "registry", FORGED_SUBJECT)
    assert not errors and ack.stream == "GOVPROJ"


async def test_another_services_user_cannot_publish_the_registrys_tenant_events(
    server: NatsProcess,
) -> None:
    """Issue 16: a forged tenant.updated from any other service is refused by the server."""
    before = await _count(server)
    ack, errors = await _publish_as(server, "approval", FORGED_SUBJECT)
    assert isinstance(ack, Exception)  # no PubAck: the stream never saw it
    assert any("permissions violation" in e.lower() for e in errors), errors
    assert await _count(server) == before


@pytest.mark.parametrize("user", ["budget", "acceptance", "archive", "finance", "audit"])
async def test_no_one_else_may_publish_on_the_registrys_subjects(
    server: NatsProcess, user: str
) -> None:
    ack, errors = await _publish_as(server, user, FORGED_SUBJECT)
    assert isinstance(ack, Exception) and errors


async def test_finance_publishes_its_answers_only(server: NatsProcess) -> None:
    ack, errors = await _publish_as(server, "finance", "finance.445322.review.answered")
    assert not errors and ack.stream == "FINANCE"


async def test_a_client_without_credentials_is_refused(server: NatsProcess) -> None:
    with pytest.raises((NoServersError, nats.errors.Error, OSError)):
        await nats.connect(server.url, allow_reconnect=False, connect_timeout=2)


def test_the_permissions_and_the_generated_config() -> None:
    users = NatsUsers.generate()
    assert publish_allowed("registry")[0] == "govproj.*.registry.>"
    assert publish_allowed("finance")[0] == "finance.>"
    assert publish_allowed("operator") == (">",)
    text = users.server_config()
    for name, password in users.passwords.items():
        assert f'user: "{name}", password: "{password}"' in text
    url = with_credentials("nats://old:secret@127.0.0.1:4222", "budget", "p/w@x")
    assert url == "nats://budget:p%2Fw%40x@127.0.0.1:4222"


def test_users_are_kept_across_restarts_and_readable_by_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "nats-users.json"
    first = NatsUsers.load_or_create(path)
    assert NatsUsers.load_or_create(path) == first
    assert path.stat().st_mode & 0o077 == 0


async def _count(server: NatsProcess) -> int:
    nc = await nats.connect(server.operator_url)
    try:
        info = await nc.jetstream().stream_info("GOVPROJ", subjects_filter=FORGED_SUBJECT)
        return int(info.state.messages)
    finally:
        await nc.close()
