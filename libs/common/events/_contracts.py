"""Where the envelope meets the contracts (libs/contracts): at emit, and before a handler.

Two questions a consumer asks of every event before applying it, besides the
envelope's own structure and the tenant check:

- is it who it says it is? The subject's producer (``govproj.<t>.<service>.…``
  or ``finance.<t>.…``), ``ce-source`` and the contract's producer must agree.
  NATS permissions already keep a service from publishing on another's
  subjects (deploy/nats); this catches a producer that publishes on its own
  subjects under another's type or source.
- does its data hold to its contract?
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from libs.common.events._envelope import Event
from libs.contracts import Contract, contract_for

__all__ = ["ContractError", "check_emit", "forgery", "handler_problems", "nats_match"]

log = logging.getLogger("govproj.events.contracts")


class ContractError(ValueError):
    """An event without a contract, or whose data breaks it (raised by ``emit``)."""


def check_emit(
    event_type: str, service: str, data: Mapping[str, Any], raw: str | None = None
) -> Contract:
    """The contract of an event about to be emitted; raises :class:`ContractError` if none holds.

    No event without a contract: what is not declared cannot be published,
    documented or checked by its consumers. ``raw``, when given, is ``data``
    as the JSON that travels (checked instead of serialising ``data`` again).
    """
    contract = contract_for(event_type)
    if contract is None:
        raise ContractError(f"{event_type} has no contract: declare it in libs/contracts")
    if contract.producer != service:
        raise ContractError(f"{event_type} is published by {contract.producer}, not {service}")
    why = contract.validate(data) if raw is None else contract.validate_json(raw)
    if why is not None:
        raise ContractError(f"{event_type} breaks its contract: {why}")
    return contract


def _subject_producer(subject: str) -> str:
    parts = subject.split(".")
    return parts[2] if parts[0] == "govproj" and len(parts) > 2 else parts[0]


def forgery(event: Event, contract: Contract) -> str | None:
    """Why the event's subject, ``ce-source`` and its contract's producer disagree, or None."""
    by_subject = _subject_producer(event.subject)
    if by_subject != contract.producer:
        return (
            f"{event.type} is {contract.producer}'s, but came on {by_subject}'s subject "
            f"{event.subject}"
        )
    prefix = contract.source_prefix
    if event.source != prefix and not event.source.startswith(prefix + "/"):
        return f"{event.type} is {contract.producer}'s, but ce-source is {event.source}"
    if not contract.matches_subject(event.subject):
        return f"{event.type} travels on {contract.subject}, not {event.subject}"
    return None


def nats_match(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` one token, ``>`` the rest (at least one token)."""
    p, s = pattern.split("."), subject.split(".")
    for i, part in enumerate(p):
        if part == ">":
            return len(s) > i
        if i >= len(s) or (part != "*" and part != s[i]):
            return False
    return len(p) == len(s)


def handler_problems(
    stream: str, filter_subjects: Iterable[str], handler_types: Iterable[str]
) -> tuple[list[str], list[str]]:
    """``(undeclared, unreachable)`` handler types of one consumer.

    Undeclared: no contract, so nobody publishes it. Unreachable: its contract
    travels on another stream, or on a subject no filter subject matches, so
    the handler can never fire.
    """
    subjects = list(filter_subjects)
    undeclared: list[str] = []
    unreachable: list[str] = []
    for event_type in handler_types:
        contract = contract_for(event_type)
        if contract is None:
            undeclared.append(event_type)
            continue
        example = contract.subject_for("000000")
        if contract.stream != stream or not any(nats_match(p, example) for p in subjects):
            unreachable.append(event_type)
    return undeclared, unreachable
