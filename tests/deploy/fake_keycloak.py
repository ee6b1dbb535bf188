"""A stand-in for the part of Keycloak's admin REST API that provisioning uses.

Keycloak is not our infrastructure and cannot run here (no Docker engine, no
Keycloak server): this server keeps roles and groups in memory with
Keycloak's semantics (24+: children paged under /groups/{id}/children,
``subGroupCount``, brief representations without attributes, 409 on a
duplicate sibling name, ``Location`` on create) and records every request, so
the tests can hold python-keycloak's real calls against expectations.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse


@dataclass
class FakeRealm:
    name: str
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> group (+ parentId)
    group_roles: dict[str, list[str]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def children(self, parent: str | None) -> list[dict[str, Any]]:
        kids = [g for g in self.groups.values() if g["parentId"] == parent]
        return sorted(kids, key=lambda g: g["name"])

    def path(self, group_id: str) -> str:
        group = self.groups[group_id]
        prefix = self.path(group["parentId"]) if group["parentId"] else ""
        return f"{prefix}/{group['name']}"

    def writes(self) -> list[tuple[str, str]]:
        """Every request that changes something (the token endpoint is not one)."""
        return [(m, p) for m, p in self.calls if m != "GET" and "/protocol/" not in p]


class _Handler(BaseHTTPRequestHandler):
    realm: FakeRealm
    protocol_version = "HTTP/1.1"  # keep-alive, as Keycloak answers
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Type", "").startswith("application/json") and raw:
            return json.loads(raw)
        return parse_qs(raw.decode())

    def _group_rep(self, group: dict[str, Any], brief: bool) -> dict[str, Any]:
        rep = {
            "id": group["id"],
            "name": group["name"],
            "path": self.realm.path(group["id"]),
            "subGroupCount": len(self.realm.children(group["id"])),
            "subGroups": [],
        }
        if group["parentId"]:
            rep["parentId"] = group["parentId"]
        if not brief:
            rep["attributes"] = group["attributes"]
        return rep

    def _page(self, items: list[Any], query: dict[str, list[str]]) -> list[Any]:
        first = int(query.get("first", ["0"])[0])
        size = int(query.get("max", ["100"])[0])
        return items[first : first + size]

    def _route(self, method: str) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        self.realm.calls.append((method, url.path))
        realm = self.realm
        if parts[-3:] == ["protocol", "openid-connect", "token"] and method == "POST":
            self._body()
            return self._send(
                200,
                {
                    "access_token": "fake",
                    "expires_in": 300,
                    "refresh_token": "r",
                    "refresh_expires_in": 1800,
                    "token_type": "Bearer",
                },
            )
        if parts[:3] != ["admin", "realms", realm.name]:
            return self._send(404, {"error": "unknown realm"})
        rest = parts[3:]
        brief = query.get("briefRepresentation", ["true"])[0].lower() != "false"
        if rest == ["roles"]:
            if method == "GET":
                return self._send(
                    200, self._page(sorted(realm.roles.values(), key=lambda r: r["name"]), query)
                )
            body = self._body()
            if body["name"] in realm.roles:
                return self._send(409, {"errorMessage": "Role exists"})
            realm.roles[body["name"]] = {
                "id": str(uuid.uuid4()),
                "composite": False,
                "clientRole": False,
                **body,
            }
            return self._send(201, headers={"Location": f"/roles/{body['name']}"})
        if len(rest) == 2 and rest[0] == "roles":
            role = realm.roles.get(rest[1])
            if role is None:
                return self._send(404, {"error": "Could not find role"})
            if method == "GET":
                return self._send(200, role)
            body = self._body()
            role.update({k: v for k, v in body.items() if k != "id"})
            return self._send(204)
        if rest == ["groups"]:
            if method == "GET":
                tops = [self._group_rep(g, brief) for g in realm.children(None)]
                return self._send(200, self._page(tops, query))
            return self._create_group(None)
        if len(rest) >= 2 and rest[0] == "groups":
            group = realm.groups.get(rest[1])
            if group is None:
                return self._send(404, {"error": "Could not find group by id"})
            tail = rest[2:]
            if tail == [] and method == "GET":
                return self._send(200, self._group_rep(group, False))
            if tail == [] and method == "PUT":
                body = self._body()
                group["name"] = body.get("name", group["name"])
                group["attributes"] = body.get("attributes", group["attributes"])
                return self._send(204)
            if tail == ["children"]:
                if method == "GET":
                    kids = [self._group_rep(g, brief) for g in realm.children(group["id"])]
                    return self._send(200, self._page(kids, query))
                return self._create_group(group["id"])
            if tail == ["role-mappings", "realm"]:
                mapped = realm.group_roles.setdefault(group["id"], [])
                if method == "GET":
                    return self._send(200, [realm.roles[r] for r in mapped])
                for role in self._body():
                    if role["name"] not in mapped:
                        mapped.append(role["name"])
                return self._send(204)
        return self._send(404, {"error": f"no route {method} {url.path}"})

    def _create_group(self, parent: str | None) -> None:
        body = self._body()
        if any(g["name"] == body["name"] for g in self.realm.children(parent)):
            return self._send(409, {"errorMessage": "Top level group named already exists."})
        group_id = str(uuid.uuid4())
        self.realm.groups[group_id] = {
            "id": group_id,
            "name": body["name"],
            "attributes": body.get("attributes", {}),
            "parentId": parent,
        }
        return self._send(201, headers={"Location": f"/groups/{group_id}"})

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_DELETE(self) -> None:
        self._route("DELETE")


@contextmanager
def fake_keycloak(realm: str = "govproj") -> Iterator[tuple[str, FakeRealm]]:
    """Serve a fake realm on a free loopback port; yields (server URL, realm state)."""
    state = FakeRealm(realm)
    handler = type("Handler", (_Handler,), {"realm": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", state
    finally:
        server.shutdown()
        server.server_close()
