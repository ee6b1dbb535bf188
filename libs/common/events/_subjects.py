"""NATS subjects: where an event travels, and whose tenant it belongs to.

The tenant is the second token of every subject the platform uses, so a
stream filter (``govproj.445322.>``) or a NATS account permission can scope a
tenant without reading a payload.
"""

from __future__ import annotations

import re

__all__ = [
    "AUDIT_PREFIX",
    "FINANCE_PREFIX",
    "GOVPROJ_PREFIX",
    "audit_subject",
    "finance_subject",
    "subject_for",
    "tenant_of_subject",
]

GOVPROJ_PREFIX = "govproj"
FINANCE_PREFIX = "finance"
AUDIT_PREFIX = "audit"
_PREFIXES = frozenset({GOVPROJ_PREFIX, FINANCE_PREFIX, AUDIT_PREFIX})

TENANT_RE = re.compile(r"^[0-9]{6}$")
# One lowercase token: no dots or wildcards can sneak into a subject from a name.
TOKEN_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_tenant(tenant: str) -> None:
    if not TENANT_RE.fullmatch(tenant):
        raise ValueError(f"tenant must be a six-digit division code, got {tenant!r}")


def _check_tokens(**tokens: str) -> None:
    for name, value in tokens.items():
        if not TOKEN_RE.fullmatch(value):
            raise ValueError(f"{name} must match {TOKEN_RE.pattern}, got {value!r}")


def subject_for(tenant: str, service: str, aggregate: str, event: str) -> str:
    """The subject of a platform event: ``govproj.<tenant>.<service>.<aggregate>.<event>``."""
    _check_tenant(tenant)
    _check_tokens(service=service, aggregate=aggregate, event=event)
    return f"{GOVPROJ_PREFIX}.{tenant}.{service}.{aggregate}.{event}"


def finance_subject(tenant: str, aggregate: str, event: str) -> str:
    """Where the finance system answers: ``finance.<tenant>.<aggregate>.<event>``."""
    _check_tenant(tenant)
    _check_tokens(aggregate=aggregate, event=event)
    return f"{FINANCE_PREFIX}.{tenant}.{aggregate}.{event}"


def audit_subject(tenant: str, aggregate: str, event: str) -> str:
    """Where the audit system answers: ``audit.<tenant>.<aggregate>.<event>``."""
    _check_tenant(tenant)
    _check_tokens(aggregate=aggregate, event=event)
    return f"{AUDIT_PREFIX}.{tenant}.{aggregate}.{event}"


def tenant_of_subject(subject: str) -> str | None:
    """The tenant a subject is addressed to, or None when the subject is not one of ours."""
    parts = subject.split(".")
    if len(parts) < 3 or parts[0] not in _PREFIXES or not TENANT_RE.fullmatch(parts[1]):
        return None
    return parts[1]
