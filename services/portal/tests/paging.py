"""What the paged-list page tests share: a signed-in person and the pager's links."""

from __future__ import annotations

import re
from html import unescape
from types import SimpleNamespace


def viewer(role: str, tenant: str) -> SimpleNamespace:
    """A person of ``role`` in ``tenant`` as the templates read one."""
    return SimpleNamespace(
        roles=frozenset({role}),
        tenant=tenant,
        subject=SimpleNamespace(name="查阅人"),
        has=lambda *roles: role in roles,
    )


def link(html: str, text: str) -> str | None:
    """Where the link reading ``text`` (下一页, 第一页) goes, or None when there is none."""
    found = re.search(rf'<a href="([^"]+)">{text}</a>', html)
    return unescape(found.group(1)) if found else None
