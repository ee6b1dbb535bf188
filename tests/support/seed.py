"""``govproj dev seed``'s driver in front of the test (or bench) platform, with its issuer's tokens."""

from __future__ import annotations

from govproj.dev.seed import Seeder
from libs.common.testing.platform import RunningPlatform


def platform_seeder(platform: RunningPlatform, year: int) -> Seeder:
    """A seeder that signs its tokens with ``platform``'s issuer, quietly, for plan ``year``."""

    def mint(
        tenant: str,
        roles: list[str],
        user: str,
        *,
        unit: str | None = None,
        name: str | None = None,
    ) -> str:
        return platform.token(tenant, *roles, user=user, unit=unit, name=name)

    return Seeder(urls=dict(platform.urls), mint=mint, year=year, say=lambda _: None)
