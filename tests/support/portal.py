"""The console in-process, signed in as someone, in front of the running platform's services.

The session is the one the login would leave (an access token from the platform's
issuer, the person's claims), signed with this console's own secret: pages are
rendered by the real routes and templates and call the real services.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from libs.common.settings import CommonSettings
from libs.common.testing.platform import RunningPlatform
from services.portal import session
from services.portal.app import create_app
from services.portal.settings import PortalSettings

_SECRET = "console-under-test"


@contextmanager
def console_as(
    platform: RunningPlatform,
    tenant: str,
    role: str,
    *,
    name: str | None = None,
    unit: str | None = None,
) -> Iterator[TestClient]:
    """A client of the console whose session is ``role`` of ``tenant`` (named ``name``)."""
    user = f"{role}-{uuid.uuid4().hex[:6]}"
    token = platform.token(tenant, role, user=user, unit=unit, name=name)
    person = {"sub": user, "name": name or user, "tenant": tenant, "roles": [role], "unit": unit}
    settings = PortalSettings(session_secret=_SECRET, service_urls=dict(platform.urls))
    app = create_app(settings, CommonSettings(home=platform.home))
    with TestClient(app) as client:
        data = {"sid": uuid.uuid4().hex, "access_token": token, "user": person}
        value = session.encode(_SECRET, data)
        client.cookies.set(session.COOKIE, value)
        yield client


def bearer_of(console: TestClient) -> dict[str, str]:
    """The ``Authorization`` header the console forwards for its signed-in person."""
    data = session.decode(_SECRET, console.cookies.get(session.COOKIE) or "")
    return {"Authorization": f"Bearer {data['access_token']}"}
