"""The project list and its Excel export read the registry with the same filters and order."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.portal.pages.projects import Filters, ProjectFilters


def _filters(query: str) -> ProjectFilters:
    app = FastAPI()

    @app.get("/projects")
    async def read(filters: Filters) -> dict[str, str]:
        return {name: getattr(filters, name) for name in ProjectFilters.__dataclass_fields__}

    return ProjectFilters(**TestClient(app).get(f"/projects?{query}").json())


def test_an_unknown_order_or_a_year_that_is_no_number_is_not_sent_to_the_registry() -> None:
    filters = _filters("state=implementing&year=二〇二六&sort=-budget")
    assert filters.query() == {
        "state": "implementing",
        "route": "",
        "q": "",
        "tenant": "",
        "year": None,
        "unit_id": None,
        "sort": "-created",
    }
    # The form keeps what the person typed, so the page shows it back.
    assert filters.shown()["year"] == "二〇二六" and "unit_id" not in filters.shown()


def test_a_unit_and_a_known_order_are_kept_for_the_links_and_the_export() -> None:
    filters = _filters("unit_id=u-1&year=2026&sort=amount&q=平台")
    assert filters.query()["sort"] == "amount" and filters.query()["year"] == "2026"
    assert filters.shown() == {
        "state": "",
        "route": "",
        "q": "平台",
        "tenant": "",
        "year": "2026",
        "unit_id": "u-1",
    }
