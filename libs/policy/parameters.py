"""What an authority records beside a pack: parameters it sets and exceptions it grants.

Plain data (the approval service stores them; the engine reads them), kept in
their own module so the pack, the evaluator and the binder can all use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["Exemption", "ParameterSetting"]


@dataclass(frozen=True, slots=True)
class ParameterSetting:
    """A value an authority set for a parameter the text leaves open (坡头 政府采购限额).

    ``document`` is the 文号 of the document that sets it and ``document_date`` its
    date; the value judges projects submitted on or after ``effective_from``.
    """

    name: str
    value: int | str | bool
    document: str
    document_date: date
    effective_from: date


@dataclass(frozen=True, slots=True)
class Exemption:
    """An exception to a softened rule (原则上、一般) for one project, with its reason.

    ``rule`` is the rule's trace key (``scope.ineligible_not_in_catalog``); the
    engine honours it only when that rule is ``waivable_by`` someone.
    """

    rule: str
    authority: str  # the body's name, as the decision shows it
    reason: str
    granted_on: date
