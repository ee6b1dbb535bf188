"""File names as people send them, made safe to store, package and show.

Issue 16: a name with U+2028 or U+0085 broke packaging of the whole project
(BagIt manifests are read line by line, and Python's ``splitlines`` splits on
them), and a right-to-left override (U+202E) made ``合同\u202efdp.exe`` show as
``合同exe.pdf``. Control characters (C0 and C1), format characters (the bidi
embeddings, overrides and isolates, zero-width characters), line and paragraph
separators, surrogates, private-use and unassigned code points are removed;
what is left is what was stored, packaged and shown.
"""

from __future__ import annotations

import unicodedata

__all__ = ["safe_filename"]

_DROP = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def safe_filename(name: str) -> str:
    """``name`` without the code points that can break a line or reorder what is shown."""
    cleaned = "".join(ch for ch in name if unicodedata.category(ch) not in _DROP)
    return unicodedata.normalize("NFC", cleaned).strip()
