"""Every handler of every service is keyed by a type someone publishes, where it can arrive.

A handler keyed by a type without a contract, or whose contract's subject no
filter subject of its consumer matches (or that travels on another stream),
can never fire: the behaviour it was written for silently never happens.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from libs.common.events import nats_match
from libs.common.tenants import TENANT_EVENT_TYPES
from libs.contracts import PRODUCERS, contract_for

# Every service's main consumer also follows the tenant tree (libs/common/service.py).
TENANT_SUBJECT = "govproj.*.registry.tenant.>"


@dataclass(frozen=True)
class Entry:
    service: str
    durable: str
    stream: str
    subjects: tuple[str, ...]
    type: str

    def __str__(self) -> str:
        return f"{self.service}/{self.durable}:{self.type}"


def _entries() -> list[Entry]:
    out: list[Entry] = []
    for service in PRODUCERS:
        module = importlib.import_module(f"services.{service}.events")
        handlers: Mapping[str, object] = module.HANDLERS
        subjects = (TENANT_SUBJECT, *module.SUBJECTS)
        for t in (*TENANT_EVENT_TYPES, *handlers):
            out.append(Entry(service, service, "GOVPROJ", subjects, t))
        for extra in getattr(module, "CONSUMERS", ()):
            for t in extra.handlers:
                out.append(Entry(service, extra.durable, extra.stream, tuple(extra.subjects), t))
    return out


ENTRIES = _entries()


def test_the_tables_were_found() -> None:
    assert {e.service for e in ENTRIES} == set(PRODUCERS)
    assert len(ENTRIES) > 40


@pytest.mark.parametrize("entry", [pytest.param(e, id=str(e)) for e in ENTRIES])
def test_every_handler_is_keyed_by_a_type_that_can_arrive(entry: Entry) -> None:
    contract = contract_for(entry.type)
    assert contract is not None, f"{entry}: nobody publishes {entry.type} (no contract)"
    assert contract.stream == entry.stream, (
        f"{entry}: {entry.type} travels on {contract.stream}, the consumer reads {entry.stream}"
    )
    subject = contract.subject_for("445322")
    assert any(nats_match(p, subject) for p in entry.subjects), (
        f"{entry}: no filter subject of {entry.subjects} matches {subject}"
    )


def test_nats_matching() -> None:
    assert nats_match("govproj.*.budget.>", "govproj.445322.budget.line.recorded")
    assert not nats_match("govproj.*.budget.>", "govproj.445322.budget")
    assert nats_match("finance.*.>", "finance.445322.review.answered")
    assert not nats_match("finance.*.>", "govproj.445322.registry.project.submitted")
    assert nats_match("a.b", "a.b") and not nats_match("a.b", "a.b.c")
