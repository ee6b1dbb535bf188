"""Settings from the environment: one prefix per service, shared defaults for the embedded stack.

``GOVPROJ_`` holds what every process shares (database, NATS, issuer, storage);
``GOVPROJ_<SERVICE>_`` overrides it for one service, so a service can be pointed
at its own database role or port without touching the others.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SERVICES", "SERVICE_PORTS", "CommonSettings", "ServiceSettings", "service_settings"]

SERVICES: tuple[str, ...] = ("registry", "approval", "budget", "acceptance", "archive")

# The embedded default's ports (issue: foundation). They are settings, not constants.
SERVICE_PORTS: dict[str, int] = {
    "registry": 8101,
    "approval": 8102,
    "budget": 8103,
    "acceptance": 8104,
    "archive": 8105,
}


class CommonSettings(BaseSettings):
    """What every GovProj process shares."""

    model_config = SettingsConfigDict(env_prefix="GOVPROJ_", extra="ignore")

    home: Path = Field(
        default=Path(".govproj"), description="where the embedded default keeps its data"
    )
    # The application role: neither owner nor BYPASSRLS (row-level security applies).
    database_url: str = "postgresql+asyncpg://govproj_app:govproj_app@127.0.0.1:15432/govproj"
    # The owner role: runs migrations only.
    migration_database_url: str = (
        "postgresql+asyncpg://govproj_owner:govproj_owner@127.0.0.1:15432/govproj"
    )
    # The relay role: reads and marks every tenant's outbox rows, nothing else.
    relay_database_url: str = (
        "postgresql+asyncpg://govproj_relay:govproj_relay@127.0.0.1:15432/govproj"
    )
    db_pool_size: int = 10
    # Bodies above these are refused with 413 before they are read (RequestGate):
    # JSON and forms; uploads (the archive bounds them again per tenant).
    max_json_body: int = 1 << 20
    max_upload_body: int = 1 << 30
    nats_url: str = "nats://127.0.0.1:14222"
    # Who this process is on NATS: each service has its own user, which may
    # publish only its own subjects (libs/common/events/_users.py, deploy/nats).
    # Set per service (GOVPROJ_<SERVICE>_NATS_USER / _NATS_PASSWORD); they
    # replace any credentials in nats_url.
    nats_user: str = ""
    nats_password: SecretStr = SecretStr("")
    # Replicas of the GOVPROJ/FINANCE/AUDIT streams that ensure_streams() asks
    # for: 3 on the production JetStream cluster (deploy/nats), 1 on one server.
    # Must match the cluster, or every start-up would scale the streams back.
    nats_stream_replicas: int = 1
    # How events carry ce-actor: "percent" (the CloudEvents NATS binding), or
    # "legacy" (raw JSON that 0.1.0 consumers read) while a rolling upgrade from
    # 0.1.0 runs old and new replicas side by side (docs/operations.md).
    events_header_encoding: Literal["percent", "legacy"] = "percent"
    # OIDC: the issuer whose JWKS verifies bearer tokens, and the audience we accept.
    oidc_issuer: str = "http://127.0.0.1:8109"
    oidc_audience: str = "govproj"
    oidc_jwks_url: str | None = None
    jwks_cache_seconds: int = 300
    # Clock skew tolerated on a token's exp/nbf/iat (services on access tokens,
    # the console on ID tokens). 30 s suits hosts synchronised by NTP; a test
    # platform whose processes share one clock may lower it.
    token_leeway_seconds: float = Field(default=30, ge=0, le=300)
    storage_backend: Literal["filesystem", "s3"] = "filesystem"
    storage_root: Path | None = None
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = "govproj"
    s3_secret_key: str = "govproj-secret"  # noqa: S105 - development default
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    otel_exporter_endpoint: str | None = None
    # The share of requests traced (0..1, parent-based: a traced caller's trace goes on).
    # Unset: OpenTelemetry's own OTEL_TRACES_SAMPLER / _ARG, whose default traces all.
    otel_sample_ratio: float | None = Field(default=None, ge=0, le=1)
    log_json: bool = True
    # The packs shipped with the code (repository root /policies); a ConfigMap in production.
    policies_dir: Path = Path(__file__).resolve().parents[2] / "policies"
    # Run the outbox relay and the event consumers inside the API process
    # (the embedded default); production runs them as their own Deployments.
    run_workers: bool = True

    def nats_connect_url(self) -> str:
        """``nats_url`` with this process's NATS credentials, when it has a user."""
        if not self.nats_user:
            return self.nats_url
        # Imported here: settings are read by processes that never touch events.
        from libs.common.events._users import with_credentials

        return with_credentials(
            self.nats_url, self.nats_user, self.nats_password.get_secret_value()
        )


class ServiceSettings(CommonSettings):
    """One service's settings: the common ones plus its name and port."""

    service: str = "registry"
    host: str = "127.0.0.1"
    port: int = 8101

    @property
    def db_schema(self) -> str:
        """The PostgreSQL schema the service owns (and nobody else reads)."""
        return self.service


def service_settings(service: str) -> ServiceSettings:
    """Settings for ``service``: ``GOVPROJ_<SERVICE>_*`` over ``GOVPROJ_*`` over defaults."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    prefix = f"GOVPROJ_{service.upper()}_"
    known = set(ServiceSettings.model_fields) - {"service"}
    # Constructor arguments outrank the environment in pydantic-settings, so the
    # scoped variables passed here win over the shared GOVPROJ_* ones.
    overrides: dict[str, Any] = {
        key[len(prefix) :].lower(): value
        for key, value in os.environ.items()
        if key.startswith(prefix) and key[len(prefix) :].lower() in known
    }
    overrides.setdefault("port", SERVICE_PORTS[service])
    return ServiceSettings(service=service, **overrides)
