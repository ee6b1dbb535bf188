"""The stored policy decision as the API shows it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PolicyPin(BaseModel):
    """The pack that judged: its id and the SHA-256 of its content, forever."""

    id: str
    sha256: str


class DecisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant: str = Field(validation_alias="tenant_id")
    project_id: uuid.UUID
    submission: int
    submitted_on: date = Field(description="申报日：据此选定适用的政策版本")
    route: str = Field(description="管理方式代码（vocabulary.md）")
    provisional: bool
    policy: PolicyPin
    decided_at: datetime
    decision: dict[str, Any] = Field(
        description="判定全文：管理方式、要求、时限，各附条款依据，及判定过程"
    )
