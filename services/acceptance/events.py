"""Events the acceptance service consumes besides the tenant tree (every service consumes those)."""

from __future__ import annotations

from collections.abc import Mapping

from libs.common.service import EventHandler

HANDLERS: Mapping[str, EventHandler] = {}
SUBJECTS: tuple[str, ...] = ()
