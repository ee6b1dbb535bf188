"""Form input checked here first, so a person reads what is wrong in Chinese before any service is called."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from libs.vocab import AmountError, parse_amount

__all__ = ["FormErrors", "project_payload"]


class FormErrors(Exception):
    """One message per field, in Chinese."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors

    @property
    def summary(self) -> str:
        return "；".join(self.errors.values())


def _yuan(
    form: FormData, field: str, label: str, errors: dict[str, str], *, required: bool
) -> int | None:
    """An amount as people type it ("80万", "80万元", "800,000", "800000") in integer yuan."""
    raw = str(form.get(field) or "").strip()
    if not raw:
        if required:
            errors[field] = f"请填写{label}（例如“80万”或“800000”）"
        return None
    try:
        return parse_amount(raw, field=label)
    except AmountError as exc:
        errors[field] = exc.message
        return None


def project_payload(form: FormData) -> dict[str, Any]:
    """The registry's ProjectCreate body from the project form; :class:`FormErrors` if unfit."""
    errors: dict[str, str] = {}
    name = str(form.get("name") or "").strip()
    if not name:
        errors["name"] = "请填写项目名称"
    elif len(name) > 200:
        errors["name"] = "项目名称不能超过200个字"
    unit_id = str(form.get("unit_id") or "")
    if not unit_id:
        errors["unit_id"] = "请选择建设单位"
    year_raw = str(form.get("year") or "").strip()
    year = int(year_raw) if year_raw.isdigit() else 0
    if not 2000 <= year <= 2100:
        errors["year"] = "建设年度须为2000至2100之间的年份"
    project_class = str(form.get("project_class") or "")
    if project_class not in ("public", "professional"):
        errors["project_class"] = "请选择项目类别（公共类或专业类）"
    amount = _yuan(form, "amount", "总投资", errors, required=True)
    software = _yuan(form, "software_amount", "应用软件开发费用", errors, required=False)
    if amount is not None and software is not None and software > amount:
        errors["software_amount"] = "应用软件开发费用不能超过总投资"
    service_types = [str(v) for v in form.getlist("service_types")]
    if not service_types:
        errors["service_types"] = "请至少选择一种服务类型"
    if errors:
        raise FormErrors(errors)
    facts: dict[str, Any] = {
        "project_class": project_class,
        "service_types": service_types,
        "amount": amount,
        "funding": str(form.get("funding") or "fiscal"),
    }
    if software is not None:
        facts["software_amount"] = software
    for flag in ("uses_crypto", "new_fiscal_funds", "mandated", "classified"):
        facts[flag] = form.get(flag) == "on"
    excluded = str(form.get("excluded_kind") or "")
    if excluded:
        facts["excluded_kind"] = excluded
    body: dict[str, Any] = {
        "name": name,
        "unit_id": unit_id,
        "year": year,
        "description": str(form.get("description") or "").strip() or None,
        "facts": facts,
    }
    demand = str(form.get("demand_item_id") or "")
    body["demand_item_id"] = demand or None
    return body
