"""The archive's controlled lists: codes machines exchange, labels people read.

These extend vocabulary.md for the archive (docs/adr/0005-archive.md). A code is
never renamed; a new one may be added. The codes and labels themselves live once in
libs/vocab (the portal reads the same labels); this module keeps the archive's own
names for them and adds what only the archive uses (lock years, archival formats).
"""

from __future__ import annotations

from libs.vocab import (
    CHECK_OUTCOMES,
    CHECK_PROPERTIES,
    CHECK_STAGES,
    DOCUMENT_TYPES,
    RETENTION_PERIODS,
    SECURITY_LEVELS,
    CheckStage,
    DocumentType,
    RetentionPeriod,
    SecurityLevel,
)

#: 四性, the stages DA/T 70 checks at, and the outcomes of one check item, under the
#: names the archive's checks and reports have always used.
PROPERTIES = CHECK_PROPERTIES
STAGES = CHECK_STAGES
OUTCOMES = CHECK_OUTCOMES
Stage = CheckStage

__all__ = [
    "ARCHIVAL_FORMATS",
    "DOCUMENT_TYPES",
    "OUTCOMES",
    "PROPERTIES",
    "RETENTION_PERIODS",
    "RETENTION_YEARS",
    "SECURITY_LEVELS",
    "STAGES",
    "DocumentType",
    "RetentionPeriod",
    "SecurityLevel",
    "Stage",
]

#: Years of COMPLIANCE lock per period; "permanent" is locked for a century and
#: extended by the preservation audit long before it ends (a lock can only grow).
RETENTION_YEARS: dict[str, int] = {"permanent": 100, "y30": 30, "y10": 10}

#: Formats accepted for long-term preservation (GB/T 18894-2016 §7.5: 版式文件 OFD/PDF,
#: XML, and the common image formats), by file extension as identified from the bytes.
ARCHIVAL_FORMATS: dict[str, str] = {
    "pdf": "application/pdf",
    "ofd": "application/ofd",
    "xml": "application/xml",
    "jpg": "image/jpeg",
    "png": "image/png",
}
