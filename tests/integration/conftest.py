"""One running platform per test session: real PostgreSQL, NATS, issuer and five services."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from govproj.dev.demo import DEMO_TENANTS
from libs.common.db.migrations import upgrade
from libs.common.events import NatsUsers
from libs.common.settings import SERVICES
from libs.common.testing.platform import RunningPlatform, run_platform
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database


@pytest.fixture(scope="session")
def platform_db(postgres_admin_url: str) -> DatabaseUrls:
    urls = make_database(postgres_admin_url)
    for service in SERVICES:
        upgrade(service, urls.owner)
    return urls


@pytest.fixture(scope="session")
def platform(
    platform_db: DatabaseUrls, nats_url: str, nats_users: NatsUsers | None, infra_tmp: Path
) -> Iterator[RunningPlatform]:
    with run_platform(
        infra_tmp / "platform",
        app_url=platform_db.app,
        owner_url=platform_db.owner,
        relay_url=platform_db.relay,
        nats_url=nats_url,
        nats_users=nats_users,
    ) as running:
        admin = running.headers("440000", "platform_admin", user="admin")
        with running.client("registry") as registry:
            for code, name, level, parent in DEMO_TENANTS:
                r = registry.post(
                    "/v1/tenants",
                    headers=admin,
                    json={"code": code, "name": name, "level": level, "parent_code": parent},
                )
                assert r.status_code in (201, 409), r.text
        yield running


def _client_of(service: str) -> Any:
    """A module-scoped fixture: one client of ``service`` that a module's journeys share."""

    @pytest.fixture(scope="module", name=service)
    def client(platform: RunningPlatform) -> Iterator[httpx.Client]:
        with platform.client(service) as c:
            yield c

    return client


registry = _client_of("registry")
approval = _client_of("approval")
budget = _client_of("budget")
archive = _client_of("archive")


@pytest.fixture(scope="module")
def clients(platform: RunningPlatform) -> Iterator[dict[str, httpx.Client]]:
    """A client of every service, by name, for the journeys that cross all of them."""
    with contextlib.ExitStack() as stack:
        yield {s: stack.enter_context(platform.client(s)) for s in SERVICES}
