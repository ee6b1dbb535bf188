"""The auditor's trail: every platform event about a project, kept from the stream (ADR 0011)."""
