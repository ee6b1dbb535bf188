"""One running platform per test session: real PostgreSQL, NATS, issuer and five services."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from libs.common.events import NatsUsers
from libs.common.settings import SERVICES
from libs.common.testing.platform import RunningPlatform
from libs.common.testing.pytest_plugin import DatabaseUrls
from libs.common.testing.stack import platform_on, seed_demo_tenants, upgraded_database


@pytest.fixture(scope="session")
def platform_db(postgres_admin_url: str) -> DatabaseUrls:
    return upgraded_database(postgres_admin_url)


@pytest.fixture(scope="session")
def platform(
    platform_db: DatabaseUrls, nats_url: str, nats_users: NatsUsers | None, infra_tmp: Path
) -> Iterator[RunningPlatform]:
    with platform_on(infra_tmp, platform_db, nats_url, nats_users=nats_users) as running:
        seed_demo_tenants(running)
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
