"""The console's settings (``GOVPROJ_PORTAL_*`` over ``GOVPROJ_*``).

The console owns no data: it needs the services' URLs, the OIDC issuer it sends
people to, and a secret that signs its session cookie.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.common.settings import SERVICES, CommonSettings, service_settings

__all__ = ["PORTAL_PORT", "PortalSettings", "portal_settings"]

PORTAL_PORT = 8100  # the embedded default's console port (issue 9)


class PortalSettings(BaseSettings):
    """Where the console listens and whom it calls."""

    model_config = SettingsConfigDict(env_prefix="GOVPROJ_PORTAL_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = PORTAL_PORT
    # The address people open (redirect_uri is built from it).
    public_url: str | None = None
    client_id: str = "govproj-portal"
    # What the console asks the provider for. ``openid`` is required (an ID token);
    # Keycloak issues a refresh token with any code flow, other providers may want
    # ``offline_access`` added here.
    scope: str = "openid profile"
    # The access token's audience, for providers that take it in the request:
    # ``resource`` (RFC 8707; oidc-provider, Entra ID) and/or ``audience`` (Auth0 and
    # others). Keycloak ignores both: its audience mapper on the client does it
    # (deploy/keycloak/README.md). Unset: not sent.
    resource: str | None = None
    audience: str | None = None
    # Refresh this long before the access token expires (at most half its
    # lifetime, so a 60-second token is not refreshed on every request).
    refresh_margin_seconds: int = 60
    # How long the session cookie lives in the browser; the provider's refresh
    # token (and its SSO session) decides how long it is usable.
    session_max_age_seconds: int = 8 * 3600
    # Signs the session cookie. Unset: a random one kept under $GOVPROJ_HOME/portal.
    session_secret: str | None = None
    # Over plain http on 127.0.0.1 (the embedded default) a Secure cookie would never come back.
    cookie_secure: bool = False
    service_urls: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: float = 30.0

    def url_of(self, service: str) -> str:
        """The base URL of ``service``: ``GOVPROJ_PORTAL_<SERVICE>_URL``, else its own port."""
        explicit = os.environ.get(f"GOVPROJ_PORTAL_{service.upper()}_URL") or self.service_urls.get(
            service
        )
        if explicit:
            return explicit.rstrip("/")
        return f"http://127.0.0.1:{service_settings(service).port}"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")


def portal_settings() -> tuple[PortalSettings, CommonSettings]:
    """The console's own settings and the shared ones (issuer, audience, policies, home)."""
    portal = PortalSettings()
    common = CommonSettings()
    if not portal.service_urls:
        portal.service_urls = {s: portal.url_of(s) for s in SERVICES}
    if not portal.session_secret:
        portal.session_secret = _stored_secret(common.home)
    return portal, common


def _stored_secret(home: Path) -> str:
    """A secret that survives restarts, so sessions do too; created 0600 on first use."""
    folder = Path(home) / "portal"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / "session_secret"
    if not path.exists():
        tmp = folder / f".secret-{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
