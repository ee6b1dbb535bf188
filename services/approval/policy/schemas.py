"""Policy routes' input and output: facts to judge, packs to read."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from libs.policy.model import Document, Validity


class EvaluateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", description="判定所依据的辖区；默认为调用者所在辖区"
    )
    facts: dict[str, Any] = Field(
        description="项目事实（vocabulary.md 中的代码），submitted_on 决定适用的政策版本"
    )


class PolicySummary(BaseModel):
    """A pack version: the regulation it encodes, its validity and content hash."""

    id: str
    tenant: str
    name: str
    status: str = Field(description="draft 草案 · in_force 现行有效 · repealed 已废止")
    extends: str | None = Field(description="所继承的上级辖区政策包")
    document: Document
    validity: Validity
    sha256: str


class PolicyRead(PolicySummary):
    """A pack with every rule, row and parameter, each citing its article."""

    pack: dict[str, Any]
