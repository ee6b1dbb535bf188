"""The errors the policy engine raises: one base class, each naming what is at fault."""

from __future__ import annotations

from datetime import date

__all__ = ["EvaluationError", "FactsError", "NoPolicyInForce", "PackError", "PolicyError"]


class PolicyError(Exception):
    """Base of every error raised by :mod:`libs.policy`."""


class PackError(PolicyError):
    """A pack that cannot load; the message names the pack, the item and the problem.

    The message reads ``"<pack id>: <section>.<item>: <problem>"`` so a reviewer
    can go straight to the line of YAML at fault.
    """

    def __init__(self, pack: str, where: str, problem: str) -> None:
        self.pack = pack
        self.where = where
        self.problem = problem
        super().__init__(f"{pack}: {where}: {problem}" if where else f"{pack}: {problem}")


class FactsError(PolicyError):
    """Project facts that a pack cannot judge; ``field`` names the offending fact."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class NoPolicyInForce(PolicyError):
    """No pack (in force, or a draft) of ``tenant`` covers the date ``on``."""

    def __init__(self, tenant: str, on: date) -> None:
        self.tenant = tenant
        self.on = on
        super().__init__(f"租户 {tenant} 在 {on.isoformat()} 无适用的政策")


class EvaluationError(PolicyError):
    """A rule failed at evaluation time (a pack bug the load-time checks could not see)."""

    def __init__(self, pack: str, rule: str, problem: str) -> None:
        self.pack = pack
        self.rule = rule
        self.problem = problem
        super().__init__(f"{pack}: {rule}: {problem}")
