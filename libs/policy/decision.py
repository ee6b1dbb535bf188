"""The decision: what the engine answers, the same JSON from the CLI and the HTTP API."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Decision",
    "PolicyRef",
    "RequirementOutcome",
    "RouteOutcome",
    "TimeLimitOutcome",
    "TraceEntry",
]


class _Out(BaseModel):
    # serialize_by_alias: TimeLimitOutcome's ``from`` is a Python keyword, and
    # model_dump(mode="json") must give exactly the documented keys.
    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True)


_M = TypeVar("_M", bound=_Out)


class PolicyRef(_Out):
    """The pack that judged: id, 文号, status and content hash."""

    id: str
    document: str
    status: str
    sha256: str


class RouteOutcome(_Out):
    """How the project is managed, with the article and the explanation."""

    code: str
    article: str
    authority: str | None
    explanation: str


class RequirementOutcome(_Out):
    """A duty the decision obliges (``mandatory``) or allows."""

    code: str
    mandatory: bool
    stage: str
    actor: str
    authority: str | None
    order: int
    article: str
    explanation: str


class TimeLimitOutcome(_Out):
    """A period, cut-off date, ratio or amount cap, counted from a lifecycle state."""

    code: str
    from_: str | None = Field(alias="from")
    # Applies only before the project reaches this lifecycle state (None: throughout).
    until: str | None = None
    period: str | None
    working_days: bool
    date: str | None
    ratio: str | None
    amount: int | None
    article: str
    explanation: str


class TraceEntry(_Out):
    """One rule the engine checked, its article and its outcome."""

    rule: str
    article: str
    result: bool


class Decision(_Out):
    """The engine's answer for one project; pins the pack by id and hash."""

    tenant: str
    policy: PolicyRef
    evaluated_on: date
    provisional: bool
    route: RouteOutcome
    requirements: list[RequirementOutcome]
    time_limits: list[TimeLimitOutcome]
    trace: list[TraceEntry]


_new = object.__new__
_setattr = object.__setattr__


def build(cls: type[_M], fields: set[str], values: dict[str, Any]) -> _M:
    """Construct a trusted outcome without validation (the engine's hot path).

    ``model_construct`` costs ~4µs per object, several times a plain dict;
    a decision builds dozens of them. ``values`` must hold every field, already
    of the right type, and ``fields`` is the (shared, never mutated: the models
    are frozen) set of their names. This mirrors what ``model_construct`` does.
    """
    obj = _new(cls)
    _setattr(obj, "__dict__", values)
    _setattr(obj, "__pydantic_fields_set__", fields)
    _setattr(obj, "__pydantic_extra__", None)
    _setattr(obj, "__pydantic_private__", None)
    return obj
