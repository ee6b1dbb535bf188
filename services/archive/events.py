"""Events the archive service consumes besides the tenant tree (every service consumes those).

The registry's project events feed the archive's project replica
(:mod:`services.archive.replica`): documents, packages and acceptances are filed
only under a project of the caller's own tenant, and the unit scope reads the
project's unit from it.
"""

from __future__ import annotations

from collections.abc import Mapping

from libs.common.service import EventHandler
from services.archive import replica

HANDLERS: Mapping[str, EventHandler] = dict.fromkeys(
    replica.PROJECT_EVENT_TYPES, replica.on_project_event
)
SUBJECTS: tuple[str, ...] = (replica.PROJECT_SUBJECT,)
