"""The acceptance service's routes under ``/v1``: one router per aggregate, mounted here."""

from __future__ import annotations

from fastapi import APIRouter

from services.acceptance.completion.api import router as completion
from services.acceptance.completion.pdf_api import router as documents
from services.acceptance.deadlines.api import router as deadlines
from services.acceptance.evaluations.api import router as evaluations
from services.acceptance.review.api import router as review

__all__ = ["router"]

router = APIRouter(prefix="/v1")
for _aggregate in (completion, review, deadlines, evaluations, documents):
    router.include_router(_aggregate)
