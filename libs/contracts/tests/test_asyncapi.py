"""docs/asyncapi.yaml is generated from the contracts and lists every event."""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped]
import yaml

from libs.contracts import CONTRACTS
from libs.contracts.asyncapi import BINDING, DEFAULT_PATH, document, render
from libs.contracts.tests.emit_sites import emitted, sites

EMITTED = emitted(list(sites()))


def test_docs_asyncapi_yaml_is_what_the_contracts_generate() -> None:
    assert DEFAULT_PATH.read_text(encoding="utf-8") == render(), (
        "docs/asyncapi.yaml is stale: run `govproj events asyncapi`"
    )


def _published() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    return doc


def test_every_emitted_type_and_every_answer_is_in_the_document() -> None:
    doc = _published()
    types = {
        m["headers"]["properties"]["ce-type"]["const"]
        for m in doc["components"]["messages"].values()
    }
    assert types >= EMITTED, sorted(EMITTED - types)
    assert {c.type for c in CONTRACTS} == types
    assert {"finance.budget.review.answered.v1", "finance.budget.payment.disbursed.v1"} <= types


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_reference_resolves_and_every_operation_has_its_channel() -> None:
    doc = document()
    assert doc["asyncapi"] == "3.0.0"
    for ref in _refs(doc):
        assert ref.startswith("#/"), ref
        _resolve(doc, ref)
    for name, op in doc["operations"].items():
        channel = _resolve(doc, op["channel"]["$ref"])
        assert "{tenant}" in channel["address"]
        external = channel["address"].startswith(("finance.", "audit."))
        assert op["action"] == ("send" if external else "receive"), name


def test_payload_schemas_are_valid_json_schema_and_accept_a_real_answer() -> None:
    doc = document()
    for message in doc["components"]["messages"].values():
        schema = {**message["payload"]["schema"], "components": doc["components"]}
        jsonschema.Draft202012Validator.check_schema(schema)
    answer = doc["components"]["messages"]["finance_budget_review_answered"]
    validator = jsonschema.Draft202012Validator(
        {**answer["payload"]["schema"], "components": doc["components"]}
    )
    good = {
        "tenant": "445322",
        "review_id": "0195f6d2-8a8e-7c1e-9d3c-5a0d0c6f8a11",
        "project_id": "0195f6d2-8a8e-7c1e-9d3c-5a0d0c6f8a12",
        "outcome": "approve",
        "approved_amount": 1,
        "opinion": "同意",
        "answered_by": "财政局",
        "funding_by_year": [{"year": 2027, "amount": 1}],
    }
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors({**good, "surprise": 1}))


def test_the_binding_version_is_stated() -> None:
    info = document()["info"]
    assert info["x-cloudevents-binding"] == BINDING
    assert f"{BINDING['name']} {BINDING['version']}" in info["description"]
