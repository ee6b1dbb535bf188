"""Issue 18's PDFs are offered where people read the record: links, and routes that serve them."""

from __future__ import annotations

import datetime as dt

from services.portal.pages import ROUTERS
from services.portal.web import templates

PROJECT, ACCEPTANCE, EVALUATION = "p1", "a1", "e1"


def _acceptance_tab() -> str:
    return templates.env.get_template("projects/_acceptance.html").render(
        acceptance={
            "project_id": PROJECT,
            "review_plan": {},
            "dates": {"accepted_on": dt.date(2024, 6, 1)},
            "acceptances": [
                {
                    "id": ACCEPTANCE,
                    "held_on": "2024-06-01",
                    "outcome": "passed",
                    "conclusion": "同意",
                }
            ],
            "evaluations": [
                {"id": EVALUATION, "kind": "self_evaluation", "submitted_on": "2025-06-01"}
            ],
        }
    )


def test_the_acceptance_tab_offers_the_record_and_the_cover_as_pdf() -> None:
    html = _acceptance_tab()
    assert f'href="/projects/{PROJECT}/acceptances/{ACCEPTANCE}.pdf"' in html
    assert "下载验收结论 PDF" in html
    assert f'href="/projects/{PROJECT}/evaluations/{EVALUATION}.pdf"' in html
    assert "下载报告封面 PDF" in html


def test_the_check_report_offers_its_pdf() -> None:
    html = templates.env.get_template("archive/_report.html").render(
        report={"id": "r1", "created_at": None, "results": [], "acceptable": True},
        CHECK_OUTCOMES={},
        report_page=True,
    )
    assert 'href="/check-reports/r1/pdf"' in html and "下载 PDF" in html


def test_the_links_lead_to_console_routes() -> None:
    paths = {getattr(r, "path", "") for router in ROUTERS for r in router.routes}
    assert "/projects/{project_id}/acceptances/{acceptance_id}.pdf" in paths
    assert "/projects/{project_id}/evaluations/{evaluation_id}.pdf" in paths
    assert "/check-reports/{report_id}/pdf" in paths
