"""A county's result reported up to the city, and the city's receipt."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.types import PlainText


class ReceiptCreate(BaseModel):
    """The city's acknowledgement (潮州 第十四条), with an optional note."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[PlainText, Field(max_length=2000)] | None = Field(
        default=None, description="备注"
    )


class ReportRead(BaseModel):
    """A reported result (in the overseer's queue while not acknowledged)."""

    kind: Literal["report"] = "report"
    report_id: uuid.UUID
    tenant: str = Field(description="报送的下级辖区")
    parent_tenant: str
    project_id: uuid.UUID
    workflow_id: uuid.UUID
    number: str = Field(description="立项批复／备案确认文号")
    document_kind: Literal["approval", "filing"]
    approved_on: date
    approved_amount: int
    article: str
    explanation: str
    reported_at: datetime
    received_at: datetime | None
