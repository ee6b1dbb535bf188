"""The pack schema: what a policy-pack YAML file may say (docs/policy-packs.md).

These models validate a *resolved* pack (its parent's content merged in). They
forbid unknown keys so a misspelt key (``mandatroy``) refuses the pack instead of
silently meaning nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from libs.vocab import ROLE_LABELS, RoleCode, RouteCode, StageCode

ROLE_CODES = frozenset(ROLE_LABELS)

__all__ = [
    "Article",
    "Authority",
    "Band",
    "Document",
    "FactDef",
    "FactType",
    "PackSpec",
    "Parameter",
    "ParameterType",
    "Requirement",
    "RouteTable",
    "ScopeRule",
    "TimeLimit",
    "Validity",
]

# A citation such as 第十条, 第十二条第（二）项 or 第二十三条第二款; lint checks it
# against the source text, the schema only insists that it is there.
Article = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Bound = int | Identifier | None

ParameterType = Literal["amount", "ratio", "period", "month_day", "bool", "int", "string"]
FactType = Literal["bool", "amount", "int", "string", "enum", "string_list"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Document(_Strict):
    """The regulation a pack encodes (文号, title, issuer, date, source file and its hash)."""

    number: str
    title: str
    issuer: str | None = None
    issued: date | None = None
    source: str
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Validity(_Strict):
    """Half-open validity ``[effective_from, effective_to)``; ``None`` is unbounded."""

    effective_from: date | None
    effective_to: date | None = None
    article: Article


class Authority(_Strict):
    """The body that plays a role in this jurisdiction (县政务和数据局 for bureau_officer).

    Keyed by its role code; a body under another key (``city_finance``, a
    parent tenant's department) says which ``role`` it plays.
    """

    name: str
    article: Article
    role: RoleCode | None = None


class FactDef(_Strict):
    """A fact a pack needs beyond vocabulary.md's; without ``default`` it is required."""

    type: FactType
    default: Any = None
    label: str
    article: Article
    values: list[str] | None = None  # the allowed values of an enum


class Parameter(_Strict):
    """A typed, cited value rules refer to as ``params.<name>``.

    A parameter the text leaves to an authority (坡头 第十二条 "政府采购限额" names no
    amount) has ``set_by`` (a key of authorities) and no ``value`` in the pack: the
    authority records it with the document that sets it (libs/policy/bureau.py).
    Until then decisions use ``unset_value`` and say they are provisional.
    """

    type: ParameterType
    value: Any = None
    label: str
    article: Article
    set_by: Identifier | None = None
    unset_value: Any = None
    # Why unset_value is the safe reading while nobody has set the value.
    unset_note: str | None = None

    @model_validator(mode="after")
    def _value_or_setter(self) -> Parameter:
        if self.set_by is None and self.value is None:
            raise ValueError("value is required (or set_by: the authority that sets it)")
        if self.set_by is not None and self.unset_value is None:
            raise ValueError("a parameter with set_by needs unset_value (used until it is set)")
        if self.set_by is not None and self.value is not None:
            raise ValueError(
                "a parameter with set_by takes its value from that authority, not the pack"
            )
        return self


class ScopeRule(_Strict):
    """Decides the route before the amount is looked at; the first that holds wins."""

    id: Identifier
    when: str
    route: RouteCode
    article: Article
    explanation: str
    authority: Identifier | None = None  # a key of authorities
    subjects: str | None = None  # CEL giving a list of strings, rendered as {subjects}
    label: str | None = None
    # 原则上/一般: the authority (a key of authorities) that may grant an exception.
    waivable_by: Identifier | None = None


class Band(_Strict):
    """One row of a banded table: the amounts it covers and the route they take."""

    id: Identifier | None = None
    gte: Bound = None
    gt: Bound = None
    lte: Bound = None
    lt: Bound = None
    route: RouteCode
    authority: Identifier | None = None  # a key of authorities
    explanation: str
    article: Article | None = None  # defaults to the table's
    # "可采取备案制管理": the stricter routes the unit may choose instead (fact route_choice).
    options: list[RouteCode] = Field(default_factory=list)


class RouteTable(_Strict):
    """A banded decision table over one amount fact, applicable when ``when`` holds."""

    id: Identifier
    when: str = "true"
    input: Identifier = "amount"
    article: Article
    bands: list[Band] = Field(min_length=1)
    label: str | None = None


class Requirement(_Strict):
    """A duty the decision obliges (or, with ``mandatory: false``, allows)."""

    id: Identifier
    code: Code
    when: str = "true"
    mandatory: bool = True
    stage: StageCode
    actor: RoleCode
    authority: Identifier | None = None  # a key of authorities; default: the actor's
    order: int = 0
    routes: list[RouteCode] | None = None  # None: approval and filing
    article: Article
    explanation: str | None = None
    subjects: str | None = None  # CEL giving a list of strings, rendered as {subjects}
    label: str | None = None
    waivable_by: Identifier | None = None  # 原则上/一般: who may grant an exception
    # Further bodies (keys of authorities) the duty is owed to (郁南 第二十条: 数据局 and 财政局).
    also: list[Identifier] = Field(default_factory=list)


class TimeLimit(_Strict):
    """A period, calendar cut-off, ratio or amount cap the decision sets."""

    id: Identifier
    code: Code
    from_: str | None = Field(default=None, alias="from")
    # The lifecycle state that ends the limit's reach (莱州 第十九条第二款: adjustments
    # "在采购前" → until: procuring); None: it applies throughout.
    until: str | None = None
    period: str | None = None  # ISO 8601 (P12M) or a period parameter's name
    working_days: bool = False  # the period's days are 工作日 (PnD only)
    date: str | None = None  # --MM-DD or a month_day parameter's name
    ratio: str | float | None = None  # a decimal or a ratio parameter's name
    amount: int | str | None = None  # yuan or an amount parameter's name
    when: str = "true"
    routes: list[RouteCode] | None = None  # None: approval and filing
    article: Article
    explanation: str | None = None
    subjects: str | None = None  # CEL giving a list of strings, rendered as {subjects}
    label: str | None = None
    waivable_by: Identifier | None = None  # 原则上/一般: who may grant an exception
    minimum: bool = False  # a floor ("一般不少于3年"), not a deadline or a cap
    base: Code | None = None  # what a ratio is a share of (vocab.BASE_LABELS)


class PackSpec(_Strict):
    """A resolved policy pack, as docs/policy-packs.md describes it."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    tenant: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    name: str
    extends: str | None = None
    document: Document
    status: Literal["draft", "in_force", "repealed"]
    validity: Validity
    authorities: dict[Identifier, Authority] = Field(default_factory=dict)
    facts: dict[Identifier, FactDef] = Field(default_factory=dict)
    parameters: dict[Identifier, Parameter] = Field(default_factory=dict)
    scope: list[ScopeRule] = Field(default_factory=list)
    routes: list[RouteTable] = Field(default_factory=list)
    requirements: list[Requirement] = Field(default_factory=list)
    time_limits: list[TimeLimit] = Field(default_factory=list)
    notes: str | None = None  # free commentary for reviewers; never evaluated

    @model_validator(mode="after")
    def _authority_roles(self) -> PackSpec:
        # A key that is not a role code must say which role the body plays, so
        # the workflow knows whose inbox a step lands in.
        for key, auth in self.authorities.items():
            if key not in ROLE_CODES and auth.role is None:
                raise ValueError(f"authorities.{key}: not a role code, so it needs role:")
        return self
