"""The one way a service reaches the policy packs.

Packs are loaded (validated, linted, compiled) once per directory per process
and shared: by routes through the :data:`Policies` dependency, by event
handlers and workers through :func:`policies_in` with the service's settings.
Nothing else calls ``libs.policy.load_registry``; tests that need other packs
pass another directory.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from libs.common.settings import CommonSettings
from libs.policy import PolicyRegistry, load_registry

__all__ = [
    "Policies",
    "get_policies",
    "install_policies",
    "install_policies_on_startup",
    "policies_in",
]


@lru_cache(maxsize=8)
def _load(root: Path) -> PolicyRegistry:
    return load_registry(root)


def policies_in(settings: CommonSettings | Path) -> PolicyRegistry:
    """The packs under ``settings.policies_dir`` (or a directory), loaded once per process."""
    root = settings if isinstance(settings, Path) else settings.policies_dir
    return _load(Path(root).resolve())


def install_policies(app: FastAPI, settings: CommonSettings) -> PolicyRegistry:
    """Load the packs for ``app`` at start-up: a pack that fails stops the service early."""
    app.state.policies = policies_in(settings)
    return app.state.policies  # type: ignore[no-any-return]


async def install_policies_on_startup(app: FastAPI) -> None:
    """A ``ServiceSpec.on_startup`` hook: :func:`install_policies` with the app's settings."""
    install_policies(app, app.state.settings)


# async: FastAPI runs a plain `def` dependency in its thread pool, a hop per request.
async def get_policies(request: Request) -> PolicyRegistry:
    """The app's packs (:func:`install_policies`)."""
    registry = getattr(request.app.state, "policies", None)
    if not isinstance(registry, PolicyRegistry):
        raise RuntimeError("policies are not installed: call install_policies(app, settings)")
    return registry


Policies = Annotated[PolicyRegistry, Depends(get_policies)]
"""Route parameter type for the packs: ``policies: Policies``."""
