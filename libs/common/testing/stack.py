"""The platform as the benches, drills and journeys start it: schema, services, demo tenants.

One place for what ``tests/integration``'s session fixtures, ``bench/support.py``
and ``bench/lifecycle.py`` each did in the same order.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from govproj.dev.demo import DEMO_TENANTS
from libs.common.db.migrations import upgrade
from libs.common.settings import SERVICES
from libs.common.testing.platform import RunningPlatform, run_platform
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database

__all__ = ["platform_on", "seed_demo_tenants", "upgraded_database"]


def upgraded_database(
    admin_url: str, name: str | None = None, *, services: tuple[str, ...] = SERVICES
) -> DatabaseUrls:
    """A fresh database (``name``, else a random one) with every one of ``services`` at head."""
    urls = make_database(admin_url, name)
    for service in services:
        upgrade(service, urls.owner)
    return urls


def platform_on(
    root: Path, urls: DatabaseUrls, nats_url: str, **options: Any
) -> AbstractContextManager[RunningPlatform]:
    """:func:`run_platform` in ``root / "platform"`` on ``urls``' database and ``nats_url``."""
    return run_platform(
        root / "platform",
        app_url=urls.app,
        owner_url=urls.owner,
        relay_url=urls.relay,
        nats_url=nats_url,
        **options,
    )


def seed_demo_tenants(running: RunningPlatform) -> dict[str, str]:
    """Register the demo jurisdictions through the registry (once); the platform admin's headers."""
    admin = running.headers("440000", "platform_admin", user="admin")
    with running.client("registry") as registry:
        for code, name, level, parent in DEMO_TENANTS:
            r = registry.post(
                "/v1/tenants",
                headers=admin,
                json={"code": code, "name": name, "level": level, "parent_code": parent},
            )
            # 409: already registered (a restarted stack); anything else leaves a tenant out.
            assert r.status_code in (201, 409), r.text
    return admin
