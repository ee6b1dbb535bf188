"""The project page after an action: the right tab, and no form for what is already done."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from services.portal.pages.projects import tab_of
from services.portal.web import templates


class _Bureau:
    roles = frozenset({"bureau_officer"})
    subject = SimpleNamespace(name="王科长")

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def _next_steps(acceptances: list[dict[str, str]]) -> str:
    return templates.env.get_template("projects/_lifecycle.html").render(
        user=_Bureau(),
        project={"id": "p1", "state": "acceptance_review"},
        acceptance={"reviews": [{"status": "passed"}], "acceptances": acceptances},
        docs=[],
        v={},
        form_key="k",
        today=dt.date(2026, 12, 4),
    )


def test_the_acceptance_form_is_not_offered_again_once_the_acceptance_is_recorded() -> None:
    assert "记录验收" in _next_steps([])
    assert "记录验收" in _next_steps([{"outcome": "failed"}])  # a failed one may be held again
    assert "记录验收" not in _next_steps([{"outcome": "passed"}])


def test_the_page_after_an_action_opens_the_tab_that_shows_its_result() -> None:
    assert tab_of("/projects/p1", None, "procurement") == "implementation"
    assert tab_of("/projects/p1", None, "completion") == "acceptance"  # the next step is there
    assert tab_of("/projects/p1", "archive", "completion") == "archive"  # asked for: shown
    # A refused form comes back on the tab it was on.
    assert tab_of("/projects/p1/actions/completion", None, None) == "implementation"
    assert tab_of("/projects/p1/actions/review_decision", None, None) == "acceptance"
    assert tab_of("/projects/p1/changes", None, None) == "overview"
    assert tab_of("/projects/p1", "nonsense", None) == "overview"
