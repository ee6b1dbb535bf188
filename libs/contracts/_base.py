"""The shape of an event contract, and the field types every contract shares."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

__all__ = [
    "Answer",
    "ClosedPart",
    "Contract",
    "Day",
    "Id",
    "Part",
    "Payload",
    "ProjectRef",
    "TenantCode",
    "TenantPayload",
    "Yuan",
    "answer",
    "platform",
]

TenantCode = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{6}$"),
    Field(description="六位行政区划代码（租户）"),
]
Yuan = Annotated[int, Field(ge=0, le=10**13, description="金额（元，整数）")]
# An ISO date as the producers write it (``date.isoformat()``).
Day = date
# A UUID the producer formats with ``str(uuid)``; parsed, so a typo is refused at emit.
Id = uuid.UUID
Stream = Literal["GOVPROJ", "FINANCE", "AUDIT"]
# Named outside Contract, whose field ``type`` shadows the builtin in its body.
PayloadModel = type[BaseModel]

_TOKEN: Final = re.compile(r"^[a-z][a-z0-9_]*$")


class Payload(BaseModel):
    """The ``data`` of a platform event.

    Extra members are allowed: adding a field to an event is a compatible
    change within a version (consumers read what they know), while removing
    or retyping one needs ``.v2``. Every field the producers write today is
    declared, so the published schema says what integrators will find.

    Strict, and validated from JSON (:meth:`Contract.validate`): what is
    checked is what travels, so ``"12"`` is not an amount and ``1`` is not a
    date, exactly as the published JSON Schema says.
    """

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)


class Part(BaseModel):
    """A nested object of a payload (a line, a step, an expert): same rules as :class:`Payload`."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)


class TenantPayload(Payload):
    """A payload that names its tenant; the consumer checks it equals ``ce-tenant``."""

    tenant: TenantCode


class ProjectRef(TenantPayload):
    """An event about one submission of one project."""

    project_id: Id
    submission: int | None = Field(default=None, ge=0, description="第几次申报")


class ClosedPart(BaseModel):
    """A nested object that admits no unknown member (in what external systems send)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Answer(ClosedPart):
    """The ``data`` an external system (finance, audit) sends: closed.

    An unknown member in an answer is a mistake worth refusing (dead-lettered
    with the reason) rather than silently ignoring.
    """

    tenant: TenantCode


def _reason(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    where = "/".join(str(p) for p in err["loc"]) or "(root)"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {err['msg']}{more}"


@dataclass(frozen=True)
class Contract:
    """One event type: who publishes it, where it travels, what its data holds.

    ``producer`` is the service (``registry`` …) or the external system
    (``finance``, ``audit``) whose NATS user alone may publish ``subject`` and
    whose ``ce-source`` the consumers expect.
    """

    type: str
    producer: str
    aggregate: str
    event: str
    payload: PayloadModel
    title: str
    summary: str
    subject: str
    stream: Stream
    version: int = 1
    tags: tuple[str, ...] = field(default=())

    @property
    def external(self) -> bool:
        """True for what the finance or audit system sends into the platform."""
        return self.stream != "GOVPROJ"

    @property
    def name(self) -> str:
        """A stable identifier for documents (the type without its version, dots as ``_``)."""
        return self.type.rsplit(".", 1)[0].replace(".", "_")

    @property
    def source_prefix(self) -> str:
        """What ``ce-source`` must start with: ``/govproj/<service>`` or ``/finance``."""
        if self.external:
            return f"/{self.producer}"
        return f"/govproj/{self.producer}"

    def subject_for(self, tenant: str) -> str:
        """The concrete subject of this event in ``tenant``."""
        return self.subject.replace("{tenant}", tenant)

    def matches_subject(self, subject: str) -> bool:
        """Whether ``subject`` is this contract's subject in some tenant."""
        parts = subject.split(".")
        pattern = self.subject.split(".")
        if len(parts) != len(pattern):
            return False
        return all(p == "{tenant}" or p == s for p, s in zip(pattern, parts, strict=True))

    def validate(self, data: Mapping[str, Any]) -> str | None:
        """Why ``data`` breaks the contract (the first error, with its path), or None.

        Checked as the JSON that travels (``json.dumps`` of ``data``), so a
        producer is held to the same schema its consumers read.
        """
        try:
            raw = json.dumps(dict(data), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            return f"(root): not JSON: {exc}"
        return self.validate_json(raw)

    def validate_json(self, raw: str | bytes) -> str | None:
        """Why the JSON text ``raw`` breaks the contract, or None (what a consumer received)."""
        try:
            self.payload.model_validate_json(raw)
        except ValidationError as exc:
            return _reason(exc)
        return None

    def json_schema(self) -> dict[str, Any]:
        """The payload's JSON Schema (draft 2020-12), as published in docs/asyncapi.yaml."""
        return self.payload.model_json_schema(ref_template="#/$defs/{model}")


def platform(
    service: str,
    aggregate: str,
    event: str,
    payload: type[BaseModel],
    title: str,
    summary: str,
    *,
    version: int = 1,
) -> Contract:
    """A platform event: ``govproj.<service>.<aggregate>.<event>.v<N>`` on the GOVPROJ stream."""
    for value in (service, aggregate, event):
        if not _TOKEN.fullmatch(value):
            raise ValueError(f"not a subject token: {value!r}")
    return Contract(
        type=f"govproj.{service}.{aggregate}.{event}.v{version}",
        producer=service,
        aggregate=aggregate,
        event=event,
        payload=payload,
        title=title,
        summary=summary,
        subject=f"govproj.{{tenant}}.{service}.{aggregate}.{event}",
        stream="GOVPROJ",
        version=version,
    )


def answer(
    system: Literal["finance", "audit"],
    type_: str,
    aggregate: str,
    event: str,
    payload: type[BaseModel],
    title: str,
    summary: str,
) -> Contract:
    """What an external system sends: ``<system>.<tenant>.<aggregate>.<event>`` on its stream."""
    return Contract(
        type=type_,
        producer=system,
        aggregate=aggregate,
        event=event,
        payload=payload,
        title=title,
        summary=summary,
        subject=f"{system}.{{tenant}}.{aggregate}.{event}",
        stream="FINANCE" if system == "finance" else "AUDIT",
        version=int(type_.rsplit(".v", 1)[1]),
    )
