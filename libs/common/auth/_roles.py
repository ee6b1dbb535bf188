"""The role codes of vocabulary.md: the only roles a token can grant."""

from __future__ import annotations

from libs.vocab import ROLE_LABELS, ROLES

__all__ = ["OVERSEER", "ROLES", "ROLE_LABELS"]

# ROLE_LABELS (code -> the label a person sees) and ROLES live in libs/vocab, the
# platform's one vocabulary; re-exported here because tokens are checked against them.

# The one role that reads the tenant's descendants (docs/adr/0003-visible-tenants.md).
OVERSEER = "overseer"
