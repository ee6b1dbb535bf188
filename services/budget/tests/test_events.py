"""Every handler of the budget service can fire: its type arrives on the consumer it is keyed in."""

from __future__ import annotations

from collections.abc import Iterable

from services.budget import events
from services.budget.finance import contract


def _matches(subject: str, pattern: str) -> bool:
    """NATS subject matching: ``*`` one token, ``>`` the rest."""
    want, got = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(got) > i
        if i >= len(got) or (token != "*" and token != got[i]):
            return False
    return len(got) == len(want)


def _delivered(event_type: str, subjects: Iterable[str]) -> bool:
    # govproj.<service>.<aggregate>.<event>.v1 travels on govproj.<tenant>.<service>.<aggregate>.<event>
    _, service, aggregate, event, _ = event_type.split(".")
    subject = f"govproj.445322.{service}.{aggregate}.{event}"
    return any(_matches(subject, s) for s in subjects)


def test_every_platform_handler_is_keyed_by_a_type_its_consumer_receives() -> None:
    subjects = ("govproj.*.registry.tenant.>", *events.SUBJECTS)
    for event_type in events.HANDLERS:
        assert event_type.startswith("govproj."), event_type
        assert _delivered(event_type, subjects), event_type


def test_the_finance_consumer_handles_only_what_finance_sends_on_the_contract() -> None:
    # It once listed the registry's project.submitted, which never travels on finance.*.>.
    sent_by_finance = {m.type for m in contract.MESSAGES if m.type.startswith("finance.")}
    assert set(events.FINANCE_HANDLERS) == sent_by_finance


def test_everything_the_service_publishes_is_on_the_contract() -> None:
    assert events.PUBLISHES
    assert set(events.PUBLISHES) <= {m.type for m in contract.MESSAGES}
