"""docs/asyncapi.yaml, generated from the contracts: every platform event and every answer.

``govproj events asyncapi`` writes it (``govproj finance asyncapi`` is the same
command); a test regenerates it and compares, so the document integrators read
is always the one the code enforces.

The document describes an integrator's application (the finance or audit
system, or any consumer of the platform's events): ``receive`` the platform's
events from the GOVPROJ stream, ``send`` answers to the FINANCE or AUDIT stream.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

from libs.contracts import CONTRACTS, Contract

__all__ = ["BINDING", "DEFAULT_PATH", "document", "render"]

DEFAULT_PATH: Final = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"

BINDING: Final = {
    "name": "CloudEvents NATS Protocol Binding",
    "version": "1.0.3",
    "contentMode": "binary",
    "url": "https://github.com/cloudevents/spec/blob/main/cloudevents/bindings/nats-protocol-binding.md",
}
"""The binding followed (its header rules are the HTTP binding's, section 3.1.3.2)."""

_REF = "#/components/schemas/{model}"
_ENCODED = "百分号编码（percent-encoded，CloudEvents HTTP 绑定 3.1.3.2 的规则）"

_CE_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": (
        "CloudEvents 1.0 binary mode: the context attributes travel as NATS headers, "
        "names case-insensitive, ce- values percent-encoded (UTF-8, then every octet "
        "outside printable ASCII, space, '\"' and '%')."
    ),
    "required": [
        "ce-specversion",
        "ce-id",
        "ce-type",
        "ce-source",
        "ce-time",
        "ce-tenant",
        "ce-actor",
        "Nats-Msg-Id",
    ],
    "properties": {
        "ce-specversion": {"type": "string", "const": "1.0"},
        "ce-id": {"type": "string", "format": "uuid", "description": "事件 id（UUIDv7）"},
        "ce-type": {"type": "string", "description": "版本化的事件类型"},
        "ce-source": {"type": "string", "description": "/govproj/<service> 或 /finance/<tenant>"},
        "ce-time": {
            "type": "string",
            "format": "date-time",
            "description": "RFC 3339（严格：必须有秒和时区偏移）",
        },
        "ce-tenant": {"type": "string", "pattern": "^[0-9]{6}$"},
        "ce-actor": {
            "type": "string",
            "description": (
                "JSON：{type: user|system|external, id, name?, tenant, roles}，" + _ENCODED
            ),
        },
        "ce-datacontenttype": {"type": "string", "const": "application/json"},
        "Nats-Msg-Id": {
            "type": "string",
            "description": "等于 ce-id：JetStream 在去重窗口内丢弃重复发布",
        },
        "traceparent": {"type": "string", "description": "W3C trace context"},
    },
}


def _channel_key(c: Contract) -> str:
    return c.subject.replace("{tenant}.", "").replace(".", "_")


def _payload(c: Contract, schemas: dict[str, Any]) -> dict[str, Any]:
    """The payload schema; nested models go to components.schemas (one name, one shape)."""
    schema = c.payload.model_json_schema(ref_template=_REF)
    for name, sub in schema.pop("$defs", {}).items():
        if schemas.setdefault(name, sub) != sub:
            raise ValueError(f"two nested models named {name} with different shapes")
    return schema


def _message(c: Contract, schemas: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": c.name,
        "title": c.title,
        "summary": c.summary,
        "contentType": "application/json",
        "headers": {
            **_CE_HEADERS,
            "properties": {
                **_CE_HEADERS["properties"],
                "ce-type": {"type": "string", "const": c.type},
                "ce-source": {
                    "type": "string",
                    "description": f"{c.source_prefix}…（生产者：{c.producer}）",
                },
            },
        },
        "payload": {
            "schemaFormat": "application/schema+json;version=draft-2020-12",
            "schema": _payload(c, schemas),
        },
        "x-producer": c.producer,
        "x-stream": c.stream,
    }


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every contract."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for c in CONTRACTS:
        key = _channel_key(c)
        messages[c.name] = _message(c, schemas)
        channels[key] = {
            "address": c.subject,
            "title": c.title,
            "parameters": {"tenant": {"description": "六位行政区划代码，如 445322（郁南县）"}},
            "messages": {c.name: {"$ref": f"#/components/messages/{c.name}"}},
        }
        # The integrator's point of view: it receives the platform's events and
        # sends its answers.
        action = "send" if c.external else "receive"
        verb = "publish" if c.external else "consume"
        operations[f"{verb}_{c.name}"] = {
            "action": action,
            "title": c.title,
            "summary": c.summary,
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{c.name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "GovProj 平台事件契约（platform events, finance / audit integration）",
            "version": "1.0.0",
            "description": (
                "GovProj 全部平台事件及财政、审计系统答复的契约：NATS JetStream 上的 CloudEvents 1.0，"
                f"遵循 {BINDING['name']} {BINDING['version']}（binary content mode：属性在消息头，"
                "头名不区分大小写，ce- 头的值按百分号编码；datacontenttype 为 ce-datacontenttype），"
                "数据为 JSON，金额为整数元。平台事件在 GOVPROJ 流（govproj.<tenant>.<service>.>，"
                "每个服务只能发布自己的 subject），财政的答复发布到 FINANCE 流（finance.<tenant>.>），"
                "审计的发布到 AUDIT 流（audit.<tenant>.>）。本文档由 libs/contracts 生成"
                "（govproj events asyncapi），测试保证二者一致。operations 的 action 以接入方"
                "（财政、审计或任何事件消费者）为视角：receive = 消费平台事件，send = 发布答复。"
                "消费者在处理前按契约校验数据，并核对 subject、ce-source 与契约的生产者一致；"
                "不符合契约、伪造或不符合业务规则的消息进入死信（附原因），不产生任何变化。"
            ),
            "x-cloudevents-binding": BINDING,
        },
        "defaultContentType": "application/json",
        "servers": {
            "production": {
                "host": "nats.govproj.internal:4222",
                "protocol": "nats",
                "description": (
                    "三节点 JetStream 集群；每个服务一个 NATS 用户，财政、审计系统使用各自账户"
                    "（deploy/nats）"
                ),
            },
            "embedded": {
                "host": "127.0.0.1:14222",
                "protocol": "nats",
                "description": "嵌入式开发环境（govproj dev up），口令见 $GOVPROJ_HOME/nats-users.json",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def render() -> str:
    """The document as YAML text (stable: same code, same bytes)."""
    header = "# Generated by `govproj events asyncapi` from libs/contracts.\n"
    header += "# Do not edit: change the contracts and regenerate (a test compares them).\n"
    return header + yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=100)
