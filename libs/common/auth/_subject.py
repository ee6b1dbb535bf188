"""Who is calling: the verified subject of a bearer token, and the tenants it may read."""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ._roles import OVERSEER, ROLES

__all__ = ["TENANT_PATTERN", "AuthSubject", "TenantTree", "roles_from_claims"]

# GB/T 2260 administrative division code: six digits (vocabulary.md "Tenants").
TENANT_PATTERN = re.compile(r"[0-9]{6}")


@runtime_checkable
class TenantTree(Protocol):
    """The tenant tree a service keeps (a replica of the registry's).

    A service puts one on ``app.state.tenant_tree`` (or overrides the
    :func:`~libs.common.auth.get_tenant_tree` dependency); without one, every
    subject sees its own tenant only.
    """

    def descendants(self, code: str) -> AbstractSet[str]:
        """Every tenant below ``code`` (children, grandchildren, ...), not ``code`` itself."""
        ...


@dataclass(frozen=True, slots=True)
class AuthSubject:
    """The verified caller.

    Attributes
    ----------
    user
        The token's ``sub``: the actor named in events and the audit trail.
    name
        The display name (``name``, else ``preferred_username``, else ``sub``).
    tenant
        The caller's own tenant (six-digit division code); writes happen here only.
    roles
        The caller's role codes, limited to those of vocabulary.md.
    visible_tenants
        The tenants the caller may read: its own, plus its descendants when it is
        an overseer (docs/adr/0003-visible-tenants.md). Always holds ``tenant``.
    unit_id
        The caller's unit (建设单位), from the optional ``unit`` claim.
    email
        The ``email`` claim when the identity provider sends one (where the
        消息中心 sends e-mail; docs/notifications.md).
    """

    user: str
    name: str
    tenant: str
    roles: frozenset[str]
    visible_tenants: frozenset[str] = field(default_factory=frozenset)
    unit_id: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        if not TENANT_PATTERN.fullmatch(self.tenant):
            raise ValueError(f"tenant {self.tenant!r} is not a six-digit division code")
        if self.tenant not in self.visible_tenants:
            # A subject always sees its own tenant, however it was built.
            object.__setattr__(self, "visible_tenants", self.visible_tenants | {self.tenant})

    def has_role(self, *roles: str) -> bool:
        """Whether the subject holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)

    def can_read(self, tenant: str) -> bool:
        """Whether ``tenant``'s objects are visible to the subject."""
        return tenant in self.visible_tenants

    def can_write(self, tenant: str) -> bool:
        """Whether the subject may change ``tenant``'s objects (its own tenant only)."""
        return tenant == self.tenant

    @classmethod
    def build(
        cls,
        *,
        user: str,
        name: str,
        tenant: str,
        roles: frozenset[str],
        unit_id: str | None = None,
        tenant_tree: TenantTree | None = None,
        email: str | None = None,
    ) -> AuthSubject:
        """A subject whose ``visible_tenants`` follow from its roles and the tenant tree."""
        visible = {tenant}
        if OVERSEER in roles and tenant_tree is not None:
            visible |= set(tenant_tree.descendants(tenant))
        return cls(
            user=user,
            name=name,
            tenant=tenant,
            roles=roles,
            visible_tenants=frozenset(visible),
            unit_id=unit_id,
            email=email,
        )


def roles_from_claims(claims: Mapping[str, Any], *, audience: str | None = None) -> frozenset[str]:
    """The vocabulary role codes a token grants.

    Read from ``roles``, Keycloak's realm roles (``realm_access.roles``) and, when
    ``audience`` is given, Keycloak's client roles for it
    (``resource_access.<audience>.roles``). Anything else a realm carries
    (``offline_access``, ``uma_authorization``, ...) is dropped.
    """
    found: set[str] = set()
    found.update(_string_list(claims.get("roles")))
    realm_access = claims.get("realm_access")
    if isinstance(realm_access, Mapping):
        found.update(_string_list(realm_access.get("roles")))
    resource_access = claims.get("resource_access")
    if audience is not None and isinstance(resource_access, Mapping):
        client = resource_access.get(audience)
        if isinstance(client, Mapping):
            found.update(_string_list(client.get("roles")))
    return frozenset(found & ROLES)


def _string_list(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]
