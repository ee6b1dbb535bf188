"""Authentication for every service: OIDC bearer tokens verified against the issuer's JWKS.

A service calls :func:`install_auth` once and then declares what a route needs::

    install_auth(app, settings)

    @router.post("/projects")
    async def create(subject: AuthSubject = Depends(require_roles("unit_officer"))): ...

    @router.get("/projects")
    async def list_(subject: CurrentSubject): ...

Tokens must be signed with an asymmetric algorithm by a key the issuer
publishes, carry ``iss``, ``aud``, ``exp``, ``sub`` and a ``tenant`` division
code. Every failure answers 401 problem+json (``未认证或凭证无效``); a missing
role answers 403 (``无权执行此操作``).
"""

from ._access import ACTIONS, UNIT_BOUND_ROLES, Access, Action, Scope, permit
from ._deps import (
    CurrentSubject,
    current_subject,
    get_tenant_tree,
    get_token_verifier,
    install_auth,
    require_roles,
)
from ._gate import RequestGate
from ._jwks import JwksCache, JwksError, JwksUnavailableError, UnknownKeyError
from ._roles import OVERSEER, ROLE_LABELS, ROLES
from ._subject import TENANT_PATTERN, AuthSubject, TenantTree, roles_from_claims
from ._verifier import ALLOWED_ALGORITHMS, TokenVerifier

__all__ = [
    "ACTIONS",
    "ALLOWED_ALGORITHMS",
    "OVERSEER",
    "ROLES",
    "ROLE_LABELS",
    "TENANT_PATTERN",
    "UNIT_BOUND_ROLES",
    "Access",
    "Action",
    "AuthSubject",
    "CurrentSubject",
    "JwksCache",
    "JwksError",
    "JwksUnavailableError",
    "RequestGate",
    "Scope",
    "TenantTree",
    "TokenVerifier",
    "UnknownKeyError",
    "current_subject",
    "get_tenant_tree",
    "get_token_verifier",
    "install_auth",
    "permit",
    "require_roles",
    "roles_from_claims",
]
