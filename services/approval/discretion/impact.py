"""What-if impact over the tenant's stored decisions (``govproj policy impact``, the console).

The stored decision and the facts it judged are read from this service's own
schema; the comparison itself is :func:`libs.policy.impact.impact` (pure). A
project resubmitted after a return counts once, by its latest submission.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Invalid
from libs.policy import PackError
from libs.policy.candidate import load_candidate
from libs.policy.impact import ImpactReport, StoredSubmission, impact
from libs.policy.loader import load_pack_file
from libs.policy.pack import Pack
from services.approval.models import Decision, Workflow

__all__ = ["candidate_from_text", "run_impact", "stored_submissions"]

# Only what the comparison reads: the trace is most of a stored decision's JSON,
# and decoding it would cost more than re-deciding the project.
_COMPARED = sa.func.jsonb_build_object(
    "route",
    Decision.decision["route"],
    "requirements",
    Decision.decision["requirements"],
    "time_limits",
    Decision.decision["time_limits"],
)
_LATEST = (
    sa.select(
        Decision.project_id,
        Decision.submission,
        Decision.submitted_on,
        Decision.facts,
        _COMPARED,
        Workflow.project_name,
    )
    .outerjoin(
        Workflow,
        sa.and_(
            Workflow.decision_id == Decision.id,
            Workflow.tenant_id == Decision.tenant_id,
            Workflow.purpose == "project",
        ),
    )
    .distinct(Decision.project_id)
    .order_by(Decision.project_id, Decision.submission.desc())
)


async def stored_submissions(
    session: AsyncSession, tenant: str, since: date | None = None
) -> list[StoredSubmission]:
    """The latest stored decision of each of ``tenant``'s projects, with its facts."""
    query = _LATEST.where(Decision.tenant_id == tenant)
    if since is not None:
        query = query.where(Decision.submitted_on >= since)
    rows = await session.execute(query)
    return [
        StoredSubmission(str(pid), int(sub), on, facts, decision, name or "")
        for pid, sub, on, facts, decision, name in rows
    ]


def candidate_from_text(policies_dir: Path, tenant: str, text: str) -> Pack:
    """Check a candidate pack given as YAML text (the console's upload) beside the packs."""
    with tempfile.TemporaryDirectory(prefix="govproj-impact-") as scratch:
        path = Path(scratch) / "candidate.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            data = load_pack_file(path)
            if str(data.get("tenant")) != tenant:
                raise Invalid("pack", f"拟议政策包的辖区须为本辖区 {tenant}")
            return load_candidate(policies_dir, path)
        except PackError as exc:
            raise Invalid("pack", f"拟议政策包无法加载：{exc}") from None


async def run_impact(
    session: AsyncSession,
    *,
    tenant: str,
    candidate: Pack,
    since: date | None,
) -> ImpactReport:
    """Re-decide the tenant's stored submissions under ``candidate``."""
    return impact(candidate, await stored_submissions(session, tenant, since), since=since)
