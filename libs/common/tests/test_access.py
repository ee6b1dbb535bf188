"""The authorization model (libs/common/auth/_access.py) decided object by object."""

from __future__ import annotations

import pytest

from libs.common.auth import ACTIONS, Access, AuthSubject, Scope, permit
from libs.common.errors import Forbidden, NotFound

YUNAN = "445322"
CHAOZHOU, CHAOAN, XIANGQIAO = "445100", "445103", "445102"


def _subject(role: str, tenant: str = YUNAN, unit: str | None = None, **kw: object) -> AuthSubject:
    visible = frozenset({tenant, CHAOAN, XIANGQIAO}) if role == "overseer" else frozenset()
    return AuthSubject(
        user=str(kw.get("user", "u1")),
        name="测试",
        tenant=tenant,
        roles=frozenset({role}),
        visible_tenants=visible,
        unit_id=unit,
    )


def _access(subject: AuthSubject, action: str) -> Access:
    return Access(subject=subject, action=ACTIONS[action])


BUREAU_PROJECT = Scope(tenant=YUNAN, unit_id="unit-edu", name="智慧教育平台")


def test_a_unit_officer_acts_on_its_own_unit_only() -> None:
    own = _access(_subject("unit_officer", unit="unit-edu"), "document.write")
    own.check(BUREAU_PROJECT)
    other = _access(_subject("unit_officer", unit="unit-hospital"), "document.write")
    with pytest.raises(Forbidden) as refused:
        other.check(BUREAU_PROJECT)
    assert refused.value.code == "other_unit"
    assert "智慧教育平台" in (refused.value.detail or "")


def test_the_bureau_acts_on_every_unit_of_its_jurisdiction_even_with_a_unit_claim() -> None:
    _access(_subject("bureau_officer", unit="unit-bureau"), "document.write").check(BUREAU_PROJECT)


def test_another_jurisdiction_is_not_found_and_an_overseen_one_is_read_only() -> None:
    chaoan_project = Scope(tenant=CHAOAN, unit_id="u")
    with pytest.raises(NotFound):
        _access(_subject("bureau_officer", tenant=XIANGQIAO), "read").check(chaoan_project)
    city = _access(_subject("overseer", tenant=CHAOZHOU), "read")
    city.check(chaoan_project)  # reads its county
    city_write = Access(subject=city.subject, action=ACTIONS["oversight.acknowledge"])
    with pytest.raises(Forbidden) as refused:
        city_write.check(chaoan_project)
    assert refused.value.code == "read_only_tenant"


def test_experts_read_only_their_reviews_and_never_internal_documents() -> None:
    expert = _access(_subject("expert", user="wang"), "read")
    expert.check(Scope(tenant=YUNAN, experts=frozenset({"wang"})))
    with pytest.raises(NotFound):
        expert.check(Scope(tenant=YUNAN, experts=frozenset({"li"})))
    with pytest.raises(NotFound):
        expert.check(Scope(tenant=YUNAN, what="文件", internal=True))
    # The bureau reads internal documents.
    _access(_subject("bureau_officer"), "read").check(Scope(tenant=YUNAN, internal=True))


@pytest.mark.asyncio
async def test_permit_refuses_other_roles_and_a_unit_officer_without_a_unit_claim() -> None:
    dependency = permit("document.write")
    with pytest.raises(Forbidden) as wrong_role:
        await dependency(_subject("auditor"))
    assert wrong_role.value.extra["required_roles"] == ["bureau_officer", "unit_officer"]
    with pytest.raises(Forbidden) as no_claim:
        await dependency(_subject("unit_officer", unit=None))
    assert no_claim.value.code == "unit_claim_missing"
    admitted = await dependency(_subject("unit_officer", unit="unit-edu"))
    assert admitted.own_unit() == "unit-edu"
    # Reading needs no unit claim.
    await permit("read")(_subject("unit_officer", unit=None))


def test_an_unknown_action_fails_when_the_route_is_declared() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        permit("project.delete_everything")


def test_the_auditor_writes_only_its_findings() -> None:
    writing = {code for code, a in ACTIONS.items() if a.writes and "auditor" in a.roles}
    assert writing == {"archive.audit"}
