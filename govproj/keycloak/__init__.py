"""Keycloak provisioning: the realm's roles and one group tree per tenant tree.

``deploy/keycloak/realm.json`` is the realm as code (clients, mappers, roles);
:func:`provision` keeps the parts that follow the registry's tenant tree in
step with it, idempotently (``govproj keycloak provision``).
"""

from ._provision import (
    ProvisionReport,
    Tenant,
    fetch_tenants,
    load_tenants_file,
    plan,
    provision,
)

__all__ = [
    "ProvisionReport",
    "Tenant",
    "fetch_tenants",
    "load_tenants_file",
    "plan",
    "provision",
]
