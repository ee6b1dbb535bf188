"""The integration contract with finance (and audit) systems, as the budget service sees it.

The contracts themselves live in :mod:`libs.contracts` (one pydantic model per
event type of the platform); this module is the budget service's view of the
part finance integrates with: the budget's own events and the finance
system's answers, with their JSON Schemas, and ``validate`` for the handlers.
``docs/asyncapi.yaml`` is generated from all contracts (``govproj events
asyncapi``; ``govproj finance asyncapi`` is the same command).

Directions are the finance system's point of view, as in AsyncAPI:
``receive`` = the platform publishes on ``govproj.<tenant>.budget.…`` and the
finance system consumes; ``send`` = the finance system publishes on
``finance.<tenant>.…`` (CloudEvents 1.0, binary mode over NATS headers, as every
platform event; ``ce-actor`` names the person or system that answered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from libs.contracts import CONTRACTS, Contract

__all__ = ["MESSAGES", "Message", "by_type", "validate"]


@dataclass(frozen=True)
class Message:
    """One kind of message on the contract."""

    type: str
    subject: str  # with {tenant}
    action: Literal["send", "receive"]
    title: str
    summary: str
    schema: dict[str, Any]
    contract: Contract

    @property
    def name(self) -> str:
        return self.contract.name


def _message(c: Contract) -> Message:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **c.json_schema()}
    return Message(
        type=c.type,
        subject=c.subject,
        action="send" if c.producer == "finance" else "receive",
        title=c.title,
        summary=c.summary,
        schema=schema,
        contract=c,
    )


MESSAGES: tuple[Message, ...] = tuple(
    _message(c) for c in CONTRACTS if c.producer in ("budget", "finance")
)

_BY_TYPE = {m.type: m for m in MESSAGES}


def by_type(event_type: str) -> Message:
    """The contract's message of a CloudEvents type (KeyError when not on the contract)."""
    return _BY_TYPE[event_type]


def validate(event_type: str, data: dict[str, Any]) -> str | None:
    """Why ``data`` breaks the schema of ``event_type`` (the first error, with its path), or None."""
    why = _BY_TYPE[event_type].contract.validate(data)
    return None if why is None else f"schema: {why}"
