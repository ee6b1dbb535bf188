"""Models and migrations agree, and a service refuses a schema older than its code."""

from __future__ import annotations

import importlib

import pytest

from libs.common.db.migrations import autogenerate_diff, is_up_to_date, upgrade
from libs.common.settings import SERVICES
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database


@pytest.fixture(scope="module")
def fresh_db(postgres_admin_url: str) -> DatabaseUrls:
    return make_database(postgres_admin_url)


@pytest.mark.parametrize("service", SERVICES)
def test_autogenerate_finds_nothing_after_upgrade(fresh_db: DatabaseUrls, service: str) -> None:
    assert not is_up_to_date(service, fresh_db.owner)
    upgrade(service, fresh_db.owner)
    assert is_up_to_date(service, fresh_db.owner)
    metadata = importlib.import_module(f"services.{service}.models").Base.metadata
    assert list(autogenerate_diff(service, fresh_db.owner, metadata)) == []


def test_service_refuses_to_start_on_an_old_schema(postgres_admin_url: str) -> None:
    from fastapi.testclient import TestClient

    from libs.common.settings import ServiceSettings
    from services.budget.app import create_app

    db = make_database(postgres_admin_url)  # nothing migrated
    app = create_app(
        ServiceSettings(
            service="budget",
            port=0,
            database_url=db.app,
            migration_database_url=db.owner,
            relay_database_url=db.relay,
        )
    )
    with pytest.raises(RuntimeError, match="govproj db upgrade"), TestClient(app):
        pass


def test_every_service_is_known_to_the_cli() -> None:
    assert SERVICES == ("registry", "approval", "budget", "acceptance", "archive")
