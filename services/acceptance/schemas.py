"""What every aggregate's schemas share: strict input, rows read from ORM objects."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

__all__ = ["Read", "Short", "Text", "Write"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Write(BaseModel):
    """A request body: unknown fields are refused (422 naming them), never ignored."""

    model_config = ConfigDict(extra="forbid")


class Read(BaseModel):
    """A response body, read from an ORM row or a mapping by attribute name."""

    model_config = ConfigDict(from_attributes=True)
