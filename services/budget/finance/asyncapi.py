"""docs/asyncapi.yaml: generated from every contract by :mod:`libs.contracts.asyncapi`.

Kept so that ``govproj finance asyncapi`` and existing imports keep working;
the document now covers every platform event, not only finance's.
"""

from __future__ import annotations

from libs.contracts.asyncapi import DEFAULT_PATH, document, render

__all__ = ["DEFAULT_PATH", "document", "render"]
