"""Event contracts: one pydantic model per event type of the platform.

Each :class:`Contract` names its CloudEvents type, its producer (the service,
or the finance/audit system, whose NATS user alone may publish it and whose
``ce-source`` consumers expect), its aggregate and event, its subject pattern
and its payload model. ``emit()`` refuses an event without a contract or whose
data breaks it; the consumer runner dead-letters an incoming event whose data
breaks its contract, or whose subject, source and producer disagree.
docs/asyncapi.yaml is generated from here (``govproj events asyncapi``).

Adding an event: add its payload model and its contract to the producer's
module; ``libs/contracts/tests`` check that every emit site and every handler
table is covered.
"""

from __future__ import annotations

from collections.abc import Iterable

from libs.contracts import _base, acceptance, approval, archive, budget, registry
from libs.contracts._base import *  # noqa: F403 (the shared field types are the package's own API)
from libs.contracts._base import Contract

__all__ = [
    *_base.__all__,
    "CONTRACTS",
    "PRODUCERS",
    "contract_for",
    "contracts_of",
    "register",
    "unregister",
]

CONTRACTS: tuple[Contract, ...] = (
    *registry.CONTRACTS,
    *approval.CONTRACTS,
    *budget.CONTRACTS,
    *acceptance.CONTRACTS,
    *archive.CONTRACTS,
)
"""Every event of the platform and every answer finance/audit may send."""

PRODUCERS: tuple[str, ...] = ("registry", "approval", "budget", "acceptance", "archive")
"""The services that publish on ``govproj.<tenant>.<service>.>`` (one NATS user each)."""

_BY_TYPE: dict[str, Contract] = {}


def register(*contracts: Contract) -> None:
    """Add contracts (the platform's at import; tests and benchmarks add their own types).

    A type registered twice must be the same contract: two meanings for one
    type string would let a producer and a consumer disagree silently.
    """
    for c in contracts:
        known = _BY_TYPE.get(c.type)
        if known is not None and known != c:
            raise ValueError(f"{c.type} already has a different contract")
        _BY_TYPE[c.type] = c


def unregister(*contracts: Contract) -> None:
    """Remove contracts added by :func:`register` (a test cleaning up after itself)."""
    for c in contracts:
        if _BY_TYPE.get(c.type) == c and c not in CONTRACTS:
            del _BY_TYPE[c.type]


def contract_for(event_type: str) -> Contract | None:
    """The contract of a CloudEvents type, or None when nobody declared it."""
    return _BY_TYPE.get(event_type)


def contracts_of(producer: str) -> Iterable[Contract]:
    """The contracts a producer (service or external system) publishes."""
    return (c for c in _BY_TYPE.values() if c.producer == producer)


register(*CONTRACTS)
