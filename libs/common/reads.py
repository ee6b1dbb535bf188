"""Read schemas filled from rows: the fields a row holds under the same name, and the rest given."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["from_row"]

ReadT = TypeVar("ReadT", bound=BaseModel)


def from_row(model: type[ReadT], row: object, **given: Any) -> ReadT:
    """``model`` with each field not ``given`` taken from ``row``'s attribute of that name.

    A field the row lacks (and that is not given) is a programming error and
    raises ``AttributeError`` here, not a silently missing value.
    """
    fields = {name: getattr(row, name) for name in model.model_fields if name not in given}
    return model(**fields, **given)
