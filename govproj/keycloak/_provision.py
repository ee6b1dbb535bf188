"""Groups per tenant and role, realm roles, created or brought up to date.

The group tree mirrors the tenant tree by division code, and under each
tenant one group per role::

    /440000                      tenant=440000 (广东省)
    /440000/platform_admin       realm role platform_admin
    /440000/445300               tenant=445300 (云浮市)
    /440000/445300/overseer      realm role overseer (a parent tenant: ADR 0003)
    /440000/445300/445322        tenant=445322 (郁南县)
    /440000/445300/445322/unit_officer

A user put in ``/…/445322/unit_officer`` gets the ``unit_officer`` realm role
and, through the ``tenant`` mapper (a user-attribute mapper, which Keycloak
resolves from the user's groups and their parents), ``tenant: "445322"``.
Groups are named by code, never by name: codes do not change, names may.

Nothing is ever deleted: a group whose tenant left the tree is reported, and
an operator decides (its members may still need their access revoked).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, get_args

import httpx

from libs.common.auth._roles import ROLE_LABELS
from libs.vocab import RoleCode

__all__ = ["ProvisionReport", "Tenant", "fetch_tenants", "load_tenants_file", "plan", "provision"]

# Roles every tenant gets a group for (libs/vocab's roles, in their order); `overseer`
# only where there are descendants to oversee, `platform_admin` only at the roots (a province).
TENANT_ROLES: tuple[str, ...] = tuple(
    role for role in get_args(RoleCode) if role not in ("overseer", "platform_admin")
)
MANAGED = "govproj_managed"  # attribute marking what provisioning owns


@dataclass(frozen=True)
class Tenant:
    """One node of the registry's tenant tree."""

    code: str
    name: str
    level: str
    parent_code: str | None = None


@dataclass(frozen=True)
class GroupSpec:
    """A group provisioning wants: its path, attributes and realm roles."""

    path: tuple[str, ...]
    attributes: Mapping[str, list[str]]
    realm_roles: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path[-1]


@dataclass
class ProvisionReport:
    """What a run did (or, in a dry run, would do)."""

    roles_created: list[str] = field(default_factory=list)
    roles_updated: list[str] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    groups_updated: list[str] = field(default_factory=list)
    role_mappings_added: list[str] = field(default_factory=list)
    unknown_groups: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.roles_created
            or self.roles_updated
            or self.groups_created
            or self.groups_updated
            or self.role_mappings_added
        )

    def summary(self) -> str:
        """One line per kind of change, for the CLI."""
        parts = [
            f"roles created {len(self.roles_created)}, updated {len(self.roles_updated)}",
            f"groups created {len(self.groups_created)}, updated {len(self.groups_updated)}",
            f"role mappings added {len(self.role_mappings_added)}",
        ]
        if self.unknown_groups:
            parts.append("groups not in the tenant tree: " + ", ".join(self.unknown_groups))
        return "\n".join(parts)


class KeycloakAdminLike(Protocol):
    """The part of ``keycloak.KeycloakAdmin`` provisioning uses."""

    def get_realm_roles(self, brief_representation: bool = ...) -> list[Any]: ...
    def create_realm_role(self, payload: dict[str, Any], skip_exists: bool = ...) -> Any: ...
    def update_realm_role(self, role_name: str, payload: dict[str, Any]) -> Any: ...
    def get_groups(self, query: dict[str, Any] | None = ...) -> list[Any]: ...
    def get_group_children(
        self, group_id: str, query: dict[str, Any] | None = ...
    ) -> list[Any]: ...
    def create_group(self, payload: dict[str, Any], parent: str | None = ...) -> Any: ...
    def update_group(self, group_id: str, payload: dict[str, Any]) -> Any: ...
    def get_group_realm_roles(self, group_id: str) -> list[Any]: ...
    def assign_group_realm_roles(self, group_id: str, roles: list[Any]) -> Any: ...


def load_tenants_file(path: Path) -> list[Tenant]:
    """Tenants from a JSON file: the registry's ``GET /v1/tenants`` answer, saved."""
    return _tenants(json.loads(Path(path).read_text(encoding="utf-8")))


def fetch_tenants(registry_url: str, token: str, *, timeout: float = 30.0) -> list[Tenant]:
    """Tenants from the registry's API (the token must be a platform_admin's)."""
    response = httpx.get(
        registry_url.rstrip("/") + "/v1/tenants",
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
    )
    response.raise_for_status()
    return _tenants(response.json())


def _tenants(data: Any) -> list[Tenant]:
    if not isinstance(data, list):
        raise ValueError("expected a JSON list of tenants")
    tenants = [
        Tenant(
            code=str(item["code"]),
            name=str(item["name"]),
            level=str(item["level"]),
            parent_code=item.get("parent_code"),
        )
        for item in data
    ]
    codes = {t.code for t in tenants}
    for t in tenants:
        if t.parent_code is not None and t.parent_code not in codes:
            raise ValueError(f"tenant {t.code}: parent {t.parent_code} is not in the tree")
    return tenants


def plan(tenants: Sequence[Tenant]) -> list[GroupSpec]:
    """The groups the tenant tree asks for, parents before children."""
    by_code = {t.code: t for t in tenants}
    has_children = {t.parent_code for t in tenants if t.parent_code}

    def path_of(code: str) -> tuple[str, ...]:
        chain: list[str] = []
        seen: set[str] = set()
        current: str | None = code
        while current is not None:
            if current in seen:
                raise ValueError(f"tenant tree has a cycle at {current}")
            seen.add(current)
            chain.append(current)
            current = by_code[current].parent_code
        return tuple(reversed(chain))

    specs: list[GroupSpec] = []
    for tenant in sorted(tenants, key=lambda t: (len(path_of(t.code)), t.code)):
        path = path_of(tenant.code)
        specs.append(
            GroupSpec(
                path,
                {
                    "tenant": [tenant.code],
                    "tenant_name": [tenant.name],
                    "tenant_level": [tenant.level],
                    MANAGED: ["true"],
                },
            )
        )
        roles = list(TENANT_ROLES)
        if tenant.code in has_children:
            roles.append("overseer")
        if tenant.parent_code is None:
            roles.append("platform_admin")
        for role in roles:
            specs.append(
                GroupSpec(
                    (*path, role),
                    {"govproj_role": [role], MANAGED: ["true"]},
                    realm_roles=(role,),
                )
            )
    return specs


def provision(
    admin: KeycloakAdminLike, tenants: Sequence[Tenant], *, dry_run: bool = False
) -> ProvisionReport:
    """Create or update the realm roles and the tenant groups; never delete.

    A second run on an unchanged tree makes no creating or updating call.
    """
    report = ProvisionReport()
    _ensure_roles(admin, report, dry_run=dry_run)
    role_reps = {r["name"]: r for r in admin.get_realm_roles(brief_representation=True)}

    # Children of each existing group, fetched once per group as the walk reaches it.
    children: dict[tuple[str, ...], dict[str, dict[str, Any]]] = {
        (): {g["name"]: g for g in admin.get_groups({"briefRepresentation": False})}
    }
    ids: dict[tuple[str, ...], str | None] = {(): None}
    planned = plan(tenants)
    wanted_paths = {spec.path for spec in planned}

    for spec in planned:
        parent = spec.path[:-1]
        siblings = children.get(parent, {})
        existing = siblings.get(spec.name)
        if existing is None:
            group_id = None
            if not dry_run:
                group_id = admin.create_group(
                    {"name": spec.name, "attributes": dict(spec.attributes)}, parent=ids[parent]
                )
                if not group_id:  # an answer without Location: read the id back
                    group_id = _read_back(admin, ids[parent], spec.name)
            report.groups_created.append(_show(spec.path))
            ids[spec.path] = group_id
            children[spec.path] = {}
            current_roles: set[str] = set()
        else:
            group_id = existing["id"]
            ids[spec.path] = group_id
            attributes = existing.get("attributes") or {}
            if any(attributes.get(k) != v for k, v in spec.attributes.items()):
                if not dry_run:
                    merged = {**attributes, **spec.attributes}
                    admin.update_group(group_id, {"name": spec.name, "attributes": merged})
                report.groups_updated.append(_show(spec.path))
            if _has_children(existing):
                kids = admin.get_group_children(group_id, {"briefRepresentation": False})
            else:
                kids = []
            children[spec.path] = {g["name"]: g for g in kids}
            current_roles = (
                {r["name"] for r in admin.get_group_realm_roles(group_id)}
                if spec.realm_roles
                else set()
            )
        missing = [r for r in spec.realm_roles if r not in current_roles]
        if missing:
            if not dry_run and group_id is not None:
                admin.assign_group_realm_roles(group_id, [role_reps[r] for r in missing])
            report.role_mappings_added.extend(f"{_show(spec.path)}:{r}" for r in missing)

    report.unknown_groups = sorted(
        _show((*parent, name))
        for parent, kids in children.items()
        for name, group in kids.items()
        if (*parent, name) not in wanted_paths
        and (group.get("attributes") or {}).get(MANAGED) == ["true"]
    )
    return report


def _ensure_roles(admin: KeycloakAdminLike, report: ProvisionReport, *, dry_run: bool) -> None:
    existing = {r["name"]: r for r in admin.get_realm_roles(brief_representation=False)}
    for code, label in ROLE_LABELS.items():
        role = existing.get(code)
        if role is None:
            if not dry_run:
                admin.create_realm_role({"name": code, "description": label})
            report.roles_created.append(code)
        elif role.get("description") != label:
            if not dry_run:
                admin.update_realm_role(code, {**role, "description": label})
            report.roles_updated.append(code)


def _read_back(admin: KeycloakAdminLike, parent_id: str | None, name: str) -> str:
    query = {"briefRepresentation": True}
    groups = admin.get_group_children(parent_id, query) if parent_id else admin.get_groups(query)
    return str(next(g["id"] for g in groups if g["name"] == name))


def _has_children(group: Mapping[str, Any]) -> bool:
    return bool(group.get("subGroupCount") or group.get("subGroups"))


def _show(path: Iterable[str]) -> str:
    return "/" + "/".join(path)
