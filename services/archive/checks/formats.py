"""Format identification from the bytes and open tests (PDF, OFD, XML, images).

The parsers live in :mod:`services.archive.checks.inspect`, bounded by caps of
their own; the checks call them through :mod:`services.archive.checks.sandbox`,
in a child process with memory, CPU and time limits. Only the declared format
(a file name and a media type, no bytes) is worked out here, in the service.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from services.archive.checks.sandbox import Inspection, inspect

# identify() and open_test() of checks/inspect.py are meant for the child only:
# the service calls them through inspect(), never in its own process.
__all__ = ["Inspection", "declared_format", "inspect"]

_EXT_ALIASES = {"jpeg": "jpg", "jpe": "jpg"}
_MIME = {
    "application/pdf": "pdf",
    "application/ofd": "ofd",
    "application/xml": "xml",
    "text/xml": "xml",
    "image/jpeg": "jpg",
    "image/png": "png",
}


def declared_format(filename: str, content_type: str) -> str | None:
    """What the uploader said it is: the file's extension, else its media type."""
    suffix = PurePosixPath(filename).suffix.lower().lstrip(".")
    if suffix:
        return _EXT_ALIASES.get(suffix, suffix)
    return _MIME.get(content_type.split(";")[0].strip().lower())
