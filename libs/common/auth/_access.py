"""The one authorization model: who may do what to which object inside a jurisdiction.

Written once here and enforced in every service by one dependency,
:func:`permit`. docs/adr/0008-authorization.md explains the rules; in short:

- **Jurisdictions.** An object of a tenant the caller cannot read answers 404,
  exactly like a missing one (architecture.md: a foreign tenant's object is
  404, never 403). An object the caller can read but not change (an overseeing
  city looking at its county, an auditor) answers 403.
- **Roles.** Each action names the roles that may perform it
  (:data:`ACTIONS`); any other role answers 403 before the object is loaded.
- **Units.** A role that acts only for its own unit (``unit_officer``) must
  carry a ``unit`` claim, else 403 (a missing claim denies, never "all
  units"); it acts only on objects of that unit (403 naming the unit). The
  bureau acts on every unit of its own jurisdiction.
- **Experts** read only the objects of the reviews they are named in, and never
  documents marked 内部.
- **Auditors** read everything visible and write nothing but their own finding
  (a fixity audit's record).

A route declares its action; the service loads the object and calls
:meth:`Access.check` (write) or :meth:`Access.check_read` with the object's
:class:`Scope`::

    @router.post("/projects/{project_id}/documents")
    async def upload(project_id: UUID, access: Annotated[Access, Depends(permit("document.write"))]):
        project = await repository.get(session, project_id)
        access.check(Scope.of(project, what="项目"))
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from fastapi import Depends

from libs.common.errors import Forbidden, NotFound
from libs.vocab import ROLE_BODIES

from ._deps import current_subject
from ._roles import ROLES
from ._subject import AuthSubject

__all__ = [
    "ACTIONS",
    "UNIT_BOUND_ROLES",
    "Access",
    "Action",
    "Scope",
    "permit",
]

#: Roles that act only for the unit named in their token's ``unit`` claim.
UNIT_BOUND_ROLES: frozenset[str] = frozenset({"unit_officer"})


@dataclass(frozen=True, slots=True)
class Action:
    """Something a person does, and the roles that may do it.

    ``writes`` is False for actions that only read (they still need a visible
    tenant); a writing action happens in the caller's own tenant only.
    """

    code: str
    label: str
    roles: frozenset[str]
    writes: bool = True

    def __post_init__(self) -> None:
        unknown = self.roles - ROLES
        if unknown:
            raise ValueError(f"{self.code}: unknown role codes {sorted(unknown)}")


def _action(code: str, label: str, *roles: str, writes: bool = True) -> Action:
    return Action(code=code, label=label, roles=frozenset(roles), writes=writes)


_UNIT_OR_BUREAU = ("unit_officer", "bureau_officer")

#: Every action of the platform, by code. Services declare routes with these codes
#: only; the route matrix test (tests/system) is generated from this table.
ACTIONS: Mapping[str, Action] = MappingProxyType(
    {
        a.code: a
        for a in (
            _action("read", "查看", *ROLES, writes=False),
            # A unit's own project, its documents, budget lines and acceptance
            # evidence: the unit for itself, the bureau for any unit.
            _action("project.write", "编辑和提交项目", *_UNIT_OR_BUREAU),
            _action("document.write", "上传和归集档案文件", *_UNIT_OR_BUREAU),
            _action("budget.write", "编报预算和资金使用", *_UNIT_OR_BUREAU),
            _action("implementation.write", "登记采购、合同和实施情况", *_UNIT_OR_BUREAU),
            _action("acceptance.write", "申请验收和填报评价", *_UNIT_OR_BUREAU),
            _action("change.write", "提出项目变更", *_UNIT_OR_BUREAU),
            _action("unit.register", "登记建设单位", "bureau_officer", "platform_admin"),
            # The bureau's own decisions for the whole jurisdiction.
            _action("bureau.decide", "审核和审批", "bureau_officer"),
            _action("catalog.write", "维护政务信息系统目录", *_UNIT_OR_BUREAU),
            _action("plan.write", "编制年度计划", *_UNIT_OR_BUREAU),
            _action("archive.hold", "设置或解除法律保全", "bureau_officer"),
            _action("archive.check", "四性检测和档案验收", *_UNIT_OR_BUREAU),
            # Re-reading every stored byte: the bureau's custody duty and the
            # auditor's own finding (its record is the audit, nothing else changes).
            _action("archive.audit", "固定性审计", "bureau_officer", "auditor"),
            _action("discretion.grant", "决定例外和设置辖区参数", "bureau_officer"),
            _action("evaluation.draw", "双随机抽取", "bureau_officer"),
            # Reviewers named by the workflow.
            _action("expert.opine", "专家评审", "expert"),
            _action("finance.review", "财政审核", "finance_officer"),
            # 预算安排 (坡头 第十五条: 区财政局……年度预算安排情况): the finance office records
            # what it arranged when it does not send its notice as an event.
            _action("budget.arrange", "登记预算安排", "finance_officer"),
            _action("crypto.review", "密码应用审核", "crypto_officer"),
            _action("workflow.step", "办理审批环节", *ROLES - {"auditor", "platform_admin"}),
            # The city over its counties.
            _action("oversight.read", "查看下级辖区汇总", "overseer", writes=False),
            _action("oversight.acknowledge", "确认下级报送", "overseer"),
            # One's own 消息中心: every role reads (and marks read) what is addressed to it;
            # the repository confines the query to the caller's address (issue 20).
            _action("notification.read", "查看本人消息", *ROLES, writes=False),
            _action("platform.admin", "平台管理", "platform_admin"),
        )
    }
)


@dataclass(frozen=True, slots=True)
class Scope:
    """What the model needs to know of one object to decide.

    ``what`` and ``name`` make the refusal readable ("项目「…」"); ``experts``
    are the users named to review it (empty: not an expert object);
    ``internal`` marks documents an external expert must not read.
    """

    tenant: str
    unit_id: str | None = None
    what: str = "项目"
    name: str | None = None
    internal: bool = False
    experts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, obj: Any, *, what: str = "项目", name_attr: str = "name") -> Scope:
        """The scope of an ORM row with ``tenant_id`` and (optionally) ``unit_id`` and a name."""
        unit = getattr(obj, "unit_id", None)
        name = getattr(obj, name_attr, None)
        return cls(
            tenant=str(obj.tenant_id),
            unit_id=str(unit) if unit is not None else None,
            what=what,
            name=str(name) if name is not None else None,
        )

    def label(self) -> str:
        return f"{self.what}「{self.name}」" if self.name else self.what


@dataclass(frozen=True, slots=True)
class Access:
    """A caller admitted to an action by :func:`permit`; checks objects against the model."""

    subject: AuthSubject
    action: Action

    @property
    def unit_bound(self) -> bool:
        """Whether the caller acts only for its own unit in this action."""
        granting = self.subject.roles & self.action.roles
        return bool(granting) and granting <= UNIT_BOUND_ROLES

    def check_read(self, scope: Scope) -> None:
        """404 unless the caller may see the object."""
        subject = self.subject
        if not subject.can_read(scope.tenant):
            raise NotFound(scope.what)
        # An expert sees only what a review names them for, never 内部 files.
        hidden = scope.internal or (scope.experts and subject.user not in scope.experts)
        if subject.roles == frozenset({"expert"}) and hidden:
            raise NotFound(scope.what)

    def check(self, scope: Scope) -> None:
        """Raise unless the caller may perform the action on the object.

        404 when the object is not visible; 403 when it is visible but belongs
        to another tenant (an overseer's county) or, for a unit-bound caller,
        to another unit.
        """
        self.check_read(scope)
        if not self.action.writes:
            return
        if not self.subject.can_write(scope.tenant):
            raise Forbidden(
                f"{scope.label()}属于下级或其他辖区，本辖区只能查看，不能{self.action.label}",
                code="read_only_tenant",
            )
        if self.unit_bound and scope.unit_id != self.subject.unit_id:
            raise Forbidden(
                f"{scope.label()}属于其他建设单位，只能为本单位的项目{self.action.label}",
                code="other_unit",
                field="unit_id",
            )

    def own_unit(self) -> str | None:
        """The unit a unit-bound caller is confined to (None: the whole jurisdiction)."""
        return self.subject.unit_id if self.unit_bound else None


def _deny_roles(action: Action) -> Forbidden:
    labels = "、".join(sorted(ROLE_BODIES[r] for r in action.roles))
    return Forbidden(
        f"「{action.label}」须由以下角色办理：{labels}",
        code="forbidden",
        required_roles=sorted(action.roles),
    )


def permit(code: str) -> Callable[..., Coroutine[Any, Any, Access]]:
    """The dependency that admits a caller to action ``code`` (else 401/403 problem+json).

    Unknown codes fail when the route is declared, not in production. A
    unit-bound caller without a ``unit`` claim is refused here: a missing claim
    denies.
    """
    try:
        action = ACTIONS[code]
    except KeyError:
        raise ValueError(f"unknown action {code!r}: add it to libs/common/auth ACTIONS") from None

    async def _permit(subject: AuthSubject = Depends(current_subject)) -> Access:
        if subject.roles.isdisjoint(action.roles):
            raise _deny_roles(action)
        access = Access(subject=subject, action=action)
        if action.writes and access.unit_bound and not subject.unit_id:
            raise Forbidden(
                "令牌缺少所属建设单位（unit）声明，不能代表任何单位办理；请联系平台管理员",
                code="unit_claim_missing",
            )
        return access

    _permit.__qualname__ = _permit.__name__ = "permit_" + code.replace(".", "_")
    # The route matrix test reads the action back from the dependency.
    _permit.govproj_action = action  # type: ignore[attr-defined]
    return _permit
