"""Load a candidate pack (a draft 办法, a changed threshold) beside the packs in force.

The candidate is checked exactly like a pack under ``policies/`` (schema,
source hash, citations, CEL, bands, scope order), in a scratch copy of the
tree where it stands in for its tenant's versions: it is judged on its own,
not picked by date, so it must not collide with them.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from libs.policy.errors import PackError
from libs.policy.loader import load_pack_file, load_registry
from libs.policy.pack import Pack

__all__ = ["load_candidate"]


def load_candidate(root: Path, path: Path) -> Pack:
    """The pack in ``path``, loaded with every other tenant's packs from ``root``.

    ``path``'s ``document.source`` is looked up beside ``path`` first, then in its
    tenant's folder under ``root`` (a new threshold reuses the text in force).
    Raises :class:`PackError` if it does not load.
    """
    data = load_pack_file(path)
    tenant = str(data.get("tenant") or "")
    folders = [f for f in Path(root).iterdir() if f.is_dir() and f.name.startswith(f"{tenant}-")]
    if not folders:
        raise PackError(data["id"], "tenant", f"no folder for tenant {tenant!r} under {root}")
    own = folders[0]
    parent = data.get("extends")
    with tempfile.TemporaryDirectory(prefix="govproj-candidate-") as scratch:
        tree = Path(scratch) / "policies"
        shutil.copytree(root, tree, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.py"))
        target = tree / own.name
        # The candidate replaces its tenant's versions, except the one it extends.
        for old in [*target.glob("*.yaml"), *target.glob("*.yml")]:
            if load_pack_file(old)["id"] != parent:
                old.unlink()
        for extra in path.parent.iterdir():
            if extra.is_file() and extra.suffix not in (".yaml", ".yml"):
                shutil.copy(extra, target / extra.name)
        shutil.copy(path, target / "candidate.yaml")
        pack = load_registry(tree).get(data["id"])
    return pack
