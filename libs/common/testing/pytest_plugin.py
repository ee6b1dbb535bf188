"""pytest fixtures for real infrastructure: PostgreSQL and NATS JetStream.

Each is found in this order (architecture.md, Running): a URL from the
environment; testcontainers when a Docker engine answers; else the embedded
binaries from pip packages. The fixtures are session-scoped: one cluster and
one NATS server per test run, fresh databases per need.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from libs.common.db.bootstrap import DatabaseRoles, bootstrap_database, psycopg_url
from libs.common.events import NatsUsers
from libs.common.testing.infra import NatsProcess, PostgresProcess, free_port

__all__ = ["DatabaseUrls", "make_database"]


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def infra_tmp() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="govproj-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_admin_url(infra_tmp: Path) -> Iterator[str]:
    """A superuser URL of a PostgreSQL cluster the tests may create databases in."""
    if url := os.environ.get("GOVPROJ_TEST_POSTGRES_ADMIN_URL"):
        yield url
        return
    if _docker_answers():  # pragma: no cover - no Docker engine on our machines
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:18") as pg:
            yield pg.get_connection_url().replace("+psycopg2", "")
        return
    server = PostgresProcess(infra_tmp / "pg", free_port(), durable=False).start()
    try:
        yield server.admin_url
    finally:
        server.stop()


@dataclass(frozen=True)
class DatabaseUrls:
    """The three roles' URLs on one database (see libs.common.db.bootstrap)."""

    admin: str
    owner: str
    app: str
    relay: str
    name: str


def make_database(admin_url: str, name: str | None = None) -> DatabaseUrls:
    """Create a fresh database with the platform's roles; return the URLs (asyncpg form)."""
    name = name or f"govproj_{uuid.uuid4().hex[:10]}"
    roles = DatabaseRoles()
    bootstrap_database(admin_url, name, roles)
    base = psycopg_url(admin_url).split("://", 1)[1].split("@", 1)[1].rsplit("/", 1)[0]

    def url(user: str, password: str) -> str:
        return f"postgresql+asyncpg://{user}:{password}@{base}/{name}"

    return DatabaseUrls(
        admin=psycopg_url(admin_url).rsplit("/", 1)[0] + f"/{name}",
        owner=url(roles.owner, roles.owner_password),
        app=url(roles.app, roles.app_password),
        relay=url(roles.relay, roles.relay_password),
        name=name,
    )


@dataclass(frozen=True)
class NatsServer:
    """The session's NATS: its URL (the operator's credentials) and its users, if it has them."""

    url: str
    users: NatsUsers | None


@pytest.fixture(scope="session")
def nats_server(infra_tmp: Path) -> Iterator[NatsServer]:
    """A NATS server with JetStream and one user per service (none on an external server)."""
    if url := os.environ.get("GOVPROJ_TEST_NATS_URL"):
        yield NatsServer(url, None)
        return
    if _docker_answers():  # pragma: no cover
        from testcontainers.nats import NatsContainer

        with NatsContainer("nats:2.11", command="-js") as nc:
            yield NatsServer(nc.nats_uri(), None)
        return
    nats = NatsProcess(infra_tmp / "nats", free_port(), users=NatsUsers.generate()).start()
    try:
        yield NatsServer(nats.operator_url, nats.users)
    finally:
        nats.stop()


@pytest.fixture(scope="session")
def nats_url(nats_server: NatsServer) -> str:
    """The session's NATS, as the operator (may publish anything: tests play every producer)."""
    return nats_server.url


@pytest.fixture(scope="session")
def nats_users(nats_server: NatsServer) -> NatsUsers | None:
    """The per-service users of the session's NATS (None on an external server)."""
    return nats_server.users


@pytest.fixture
def nats_factory(infra_tmp: Path) -> Iterator[type[NatsProcess]]:
    """For fault tests that must SIGKILL and restart their own nats-server."""
    yield NatsProcess
