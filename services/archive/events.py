"""Events the archive service consumes besides the tenant tree (every service consumes those).

The registry's project events feed the archive's project replica
(:mod:`services.archive.replica`): documents, packages and acceptances are filed
only under a project of the caller's own tenant, and the unit scope reads the
project's unit from it.

The approval service's ``project.approved`` / ``project.filed`` carry the
立项批复 / 备案确认 as a 公文: the archive typesets and files it
(:mod:`services.archive.documents.official`).
"""

from __future__ import annotations

from collections.abc import Mapping

from libs.common.service import EventHandler
from services.archive import replica
from services.archive.documents import official

HANDLERS: Mapping[str, EventHandler] = {
    **dict.fromkeys(replica.PROJECT_EVENT_TYPES, replica.on_project_event),
    # The approval service's 立项批复 / 备案确认: typeset and filed (documents/official.py).
    **dict.fromkeys(official.ISSUED_EVENT_TYPES, official.on_document_issued),
}
SUBJECTS: tuple[str, ...] = (replica.PROJECT_SUBJECT, *official.ISSUED_SUBJECTS)
