"""The policy engine: load policy packs, validate project facts, decide.

Pure library: the only I/O is reading pack files. See docs/policy-packs.md.

>>> registry = load_registry(Path("policies"))
>>> pack = registry.pack_for("445322", date(2025, 3, 1))
>>> decision = evaluate(pack, validate_facts(pack, raw), date(2025, 3, 1))
"""

from libs.policy.decision import (
    Decision,
    PolicyRef,
    RequirementOutcome,
    RouteOutcome,
    TimeLimitOutcome,
    TraceEntry,
)
from libs.policy.diff import PackDiff, diff_packs, diff_text
from libs.policy.errors import EvaluationError, FactsError, NoPolicyInForce, PackError, PolicyError
from libs.policy.evaluator import evaluate
from libs.policy.explain import decision_text
from libs.policy.facts import Facts, validate_facts
from libs.policy.loader import load_registry
from libs.policy.model import PackSpec
from libs.policy.pack import Pack, PolicyRegistry
from libs.policy.render import format_wan

__all__ = [
    "Decision",
    "EvaluationError",
    "Facts",
    "FactsError",
    "NoPolicyInForce",
    "Pack",
    "PackDiff",
    "PackError",
    "PackSpec",
    "PolicyError",
    "PolicyRef",
    "PolicyRegistry",
    "RequirementOutcome",
    "RouteOutcome",
    "TimeLimitOutcome",
    "TraceEntry",
    "decision_text",
    "diff_packs",
    "diff_text",
    "evaluate",
    "format_wan",
    "load_registry",
    "validate_facts",
]
