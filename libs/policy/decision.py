"""The decision: what the engine answers, the same JSON from the CLI and the HTTP API."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Decision",
    "ExceptionApplied",
    "ParameterCitation",
    "PolicyRef",
    "RequirementOutcome",
    "RouteOutcome",
    "TimeLimitOutcome",
    "TraceEntry",
    "Waivable",
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


class Waivable(_Out):
    """A rule the text softens (原则上、一般): who may grant an exception, under which article."""

    authority: str  # the body's name, as a person reads it
    role: str  # the role whose officer records the exception
    key: str  # the authority's key in the pack
    article: str


class RouteOutcome(_Out):
    """How the project is managed, with the article and the explanation."""

    code: str
    article: str
    authority: str | None
    explanation: str
    waivable_by: Waivable | None = None
    # Stricter routes the unit may choose instead ("可采取备案制管理"); the fact
    # route_choice takes one of them.
    options: list[str] = Field(default_factory=list)


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
    waivable_by: Waivable | None = None
    also: list[str] = Field(default_factory=list)  # further bodies owed the duty (names)


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
    waivable_by: Waivable | None = None
    minimum: bool = False  # a floor (不少于), not a deadline or a cap
    base: str | None = None  # what ``ratio`` is a share of (概算总投资 …), a code


class TraceEntry(_Out):
    """One rule the engine checked, its article and its outcome."""

    rule: str
    article: str
    result: bool


class ParameterCitation(_Out):
    """A parameter the text leaves to an authority, as this decision used it."""

    name: str
    label: str
    article: str
    set_by: str  # the authority's name
    value: Any  # None while unset
    document: str | None  # 文号 of the document that set it
    document_date: date | None
    effective_from: date | None


class ExceptionApplied(_Out):
    """An exception granted under a softened rule (原则上) that this decision honours."""

    rule: str  # the rule's trace key, e.g. scope.ineligible_not_in_catalog
    article: str
    authority: str  # the body that granted it
    reason: str
    granted_on: date


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
    # Why the decision is provisional (a draft, an undated text, an unset parameter).
    provisional_reasons: list[str] = Field(default_factory=list)
    parameters: list[ParameterCitation] = Field(default_factory=list)
    exceptions: list[ExceptionApplied] = Field(default_factory=list)


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
