"""Real decisions of the real packs, for the pure tests (no hand-written decision JSON)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from libs.common.policies import policies_in
from libs.policy import evaluate, validate_facts

POLICIES = Path(__file__).resolve().parents[4] / "policies"
#: A day each pack is in force (Laizhou's ran 2022-09-29 to 2024-09-28; Potou's is a draft).
ON = {"370683": date(2024, 5, 6)}


def decide(tenant: str, *, amount: int, **facts: Any) -> dict[str, Any]:
    """The decision JSON the approval service would put in its decided event."""
    on = ON.get(tenant, date(2026, 5, 6))
    pack = policies_in(POLICIES).pack_for(tenant, on)
    raw = {
        "project_class": "professional",
        "service_types": ["software_development"],
        "amount": amount,
        "software_amount": amount,
        **facts,
    }
    body: dict[str, Any] = evaluate(pack, validate_facts(pack, raw), on).model_dump(mode="json")
    return body
