"""Field types shared by every service's API schemas."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

__all__ = ["DivisionCode", "PlainText", "no_control_characters"]

# NUL cannot be stored by PostgreSQL at all, and other control characters in a
# name or title only ever come from broken clients or attacks.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_characters(value: str) -> str:
    """Refuse control characters; trim surrounding white space."""
    if _CONTROL.search(value):
        raise ValueError("不能包含控制字符")
    stripped = value.strip()
    if not stripped:
        raise ValueError("不能为空白")
    return stripped


PlainText = Annotated[str, AfterValidator(no_control_characters)]
"""A one-line human text (name, title): no control characters, not blank."""

DivisionCode = Annotated[
    str, Field(pattern=r"^[0-9]{6}$", description="GB/T 2260 行政区划代码（六位）")
]
