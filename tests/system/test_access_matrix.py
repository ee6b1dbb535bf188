"""The role matrix over every route of every service, generated from the one model.

docs/adr/0008-authorization.md: each route declares an action (``permit``);
every role outside the action's roles is refused with 403 before anything is
loaded, and a unit officer whose token carries no ``unit`` claim is refused on
every writing action. What a person would notice if it failed: an auditor or
an expert changing a project, a unit officer's token without a unit acting for
every unit of the county.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Iterator

import pytest

from bench.lifecycle import Stack
from libs.common.auth import ACTIONS, ROLES, UNIT_BOUND_ROLES, Action
from libs.common.settings import service_settings
from libs.common.testing.routes import api_routes, dependants

SERVICES = ("registry", "approval", "budget", "acceptance", "archive")
TENANT = "445102"
_PARAM = re.compile(r"\{([^}]+)\}")


def _routes() -> Iterator[tuple[str, str, str, Action]]:
    for service in SERVICES:
        app = importlib.import_module(f"services.{service}.app").create_app(
            service_settings(service)
        )
        for api in api_routes(app):
            actions = [getattr(d.call, "govproj_action", None) for d in dependants(api.route)]
            for action in filter(None, actions):
                for method in api.methods:
                    yield service, method, api.path, action


ROUTES = sorted(set(_routes()), key=lambda r: (r[0], r[2], r[1]))


def _fill(path: str) -> str:
    # Path parameters get values that exist nowhere: refusals come before lookups.
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "year":
            return "2030"
        if name in ("code", "item"):
            return "x"
        return str(uuid.uuid4())

    return _PARAM.sub(value, path)


def test_the_matrix_covers_every_service_and_every_writing_action() -> None:
    services = {service for service, *_ in ROUTES}
    assert services == set(SERVICES)
    writing = {a.code for *_, a in ROUTES if a.writes}
    assert len(writing) >= 10, writing


@pytest.mark.parametrize(("service", "method", "path", "action"), ROUTES, ids=lambda v: str(getattr(v, "code", v)))
def test_every_other_role_is_refused(
    stack: Stack, service: str, method: str, path: str, action: Action
) -> None:
    others = sorted(ROLES - action.roles)
    platform = stack.platform
    with platform.client(service) as client:
        for role in others:
            unit = str(uuid.uuid4()) if role in UNIT_BOUND_ROLES else None
            answer = client.request(
                method, _fill(path), headers=platform.headers(TENANT, role, unit=unit) if unit else platform.headers(TENANT, role), json={}
            )
            assert answer.status_code == 403, (role, method, path, answer.status_code, answer.text[:200])
            assert answer.headers["content-type"].startswith("application/problem+json")
        if action.writes and action.roles & UNIT_BOUND_ROLES:
            answer = client.request(
                method, _fill(path), headers=platform.headers(TENANT, "unit_officer"), json={}
            )
            assert answer.status_code == 403, (method, path, answer.text[:200])
            assert answer.json()["code"] == "unit_claim_missing"


def test_every_action_of_the_model_is_performed_somewhere() -> None:
    from services.approval.workflow.scopes import STEP_ACTIONS

    used = {a.code for *_, a in ROUTES} | set(STEP_ACTIONS.values())
    assert set(ACTIONS) - used == set()
