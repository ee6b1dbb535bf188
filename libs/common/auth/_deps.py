"""FastAPI dependencies: who is calling (401) and whether they may (403)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from libs.common.errors import Problem, install_problem_handlers
from libs.common.settings import CommonSettings

from ._problems import forbidden, missing_credentials
from ._roles import ROLES
from ._subject import AuthSubject, TenantTree
from ._verifier import TokenVerifier

__all__ = [
    "CurrentSubject",
    "current_subject",
    "get_tenant_tree",
    "get_token_verifier",
    "install_auth",
    "require_roles",
]

# auto_error=False: a missing token must answer with our problem+json 401, not
# FastAPI's plain one. The scheme still documents "bearer" in the OpenAPI.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="OIDCBearer",
    description="OIDC 访问令牌（Keycloak 或开发签发者），含 tenant 与 roles 声明",
)


def install_auth(
    app: FastAPI,
    settings: CommonSettings,
    *,
    verifier: TokenVerifier | None = None,
    client: httpx.AsyncClient | None = None,
) -> TokenVerifier:
    """Configure bearer-token authentication for ``app`` and return its verifier.

    Stores the verifier (built from ``settings`` unless given) on
    ``app.state.token_verifier`` and makes sure errors answer as problem+json.
    """
    if verifier is None:
        verifier = TokenVerifier.from_settings(settings, client=client)
    app.state.token_verifier = verifier
    if Problem not in app.exception_handlers:
        install_problem_handlers(app)
    return verifier


# async: FastAPI runs a plain `def` dependency in its thread pool, a hop per request.
async def get_token_verifier(request: Request) -> TokenVerifier:
    """The verifier :func:`install_auth` put on the app."""
    verifier = getattr(request.app.state, "token_verifier", None)
    if not isinstance(verifier, TokenVerifier):
        raise RuntimeError("authentication is not configured: call install_auth(app, settings)")
    return verifier


# async: FastAPI runs a plain `def` dependency in its thread pool, a hop per request.
async def get_tenant_tree(request: Request) -> TenantTree | None:
    """The service's tenant tree (``app.state.tenant_tree``), or None: own tenant only.

    Override this dependency to provide the tree another way.
    """
    tree = getattr(request.app.state, "tenant_tree", None)
    return tree if isinstance(tree, TenantTree) else None


async def current_subject(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    verifier: TokenVerifier = Depends(get_token_verifier),
    tenant_tree: TenantTree | None = Depends(get_tenant_tree),
) -> AuthSubject:
    """The verified caller; 401 problem+json when the bearer token is missing or invalid."""
    if credentials is None:
        raise missing_credentials()
    gated = getattr(request.state, "subject", None)
    token = getattr(request.state, "subject_token", None)
    if isinstance(gated, AuthSubject) and token == credentials.credentials:
        # RequestGate verified this very token before the body was read.
        return gated
    subject = await verifier.verify(credentials.credentials, tenant_tree=tenant_tree)
    # For access logs and traces, which run outside the route's dependencies.
    request.state.subject = subject
    return subject


CurrentSubject = Annotated[AuthSubject, Depends(current_subject)]
"""Route parameter type for the verified caller: ``subject: CurrentSubject``."""


def require_roles(
    *roles: str,
) -> Callable[[AuthSubject], Coroutine[Any, Any, AuthSubject]]:
    """A dependency that admits a subject holding any of ``roles`` (else 403 problem+json).

    Use it as ``subject: AuthSubject = Depends(require_roles("bureau_officer"))`` or
    in a route's ``dependencies=[...]``. Role codes are checked against
    vocabulary.md when the route is declared, so a typo fails at import, not in
    production.
    """
    if not roles:
        raise ValueError("require_roles() needs at least one role")
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown role codes (see vocabulary.md): {sorted(unknown)}")
    needed = frozenset(roles)

    async def _require_roles(subject: AuthSubject = Depends(current_subject)) -> AuthSubject:
        if subject.roles.isdisjoint(needed):
            raise forbidden(needed)
        return subject

    _require_roles.__qualname__ = _require_roles.__name__ = "require_" + "_or_".join(sorted(needed))
    return _require_roles
