"""BagIt (RFC 8493) bags for archive packages, with an SM3 manifest we validate ourselves.

``bagit`` writes and validates the sha256/sha512 manifests and tag manifests
(interoperable with any BagIt tool). It cannot validate SM3 (GB/T 32905), so
``manifest-sm3.txt`` and ``tagmanifest-sm3.txt`` are written and checked here.
All of it is blocking file I/O: call it in a worker thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import threading
from pathlib import Path
from typing import Any

import bagit

from libs.common.storage import Digester

__all__ = [
    "METADATA_FILE",
    "extract_tar",
    "make_bag",
    "sm3_file",
    "tar_bag",
    "validate_bag",
]

METADATA_FILE = "archive-metadata.json"
_CHUNK = 1024 * 1024
# bagit.make_bag and Bag.save chdir() into the bag: the working directory is
# process-wide, so bag writes are serialised (nothing of ours uses relative paths).
_CWD_LOCK = threading.Lock()


def sm3_file(path: Path) -> str:
    """SM3 of a file, read in 1 MiB chunks."""
    digester = Digester()
    with path.open("rb") as src:
        while chunk := src.read(_CHUNK):
            digester.update(chunk)
    return digester.digests().sm3


def _sha(path: Path, name: str) -> str:
    h = hashlib.new(name)
    with path.open("rb") as src:
        while chunk := src.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _tag_files(bag_dir: Path) -> list[str]:
    return sorted(
        p.relative_to(bag_dir).as_posix()
        for p in bag_dir.rglob("*")
        if p.is_file()
        and not p.relative_to(bag_dir).as_posix().startswith("data/")
        and not p.name.startswith("tagmanifest-")
    )


def make_bag(
    bag_dir: Path, *, bag_info: dict[str, str], metadata: dict[str, Any], sm3: dict[str, str]
) -> dict[str, Any]:
    """Turn ``bag_dir`` (holding the payload files) into a bag; return its manifests.

    ``sm3`` maps each payload file's name (relative to ``bag_dir`` before
    bagging) to its SM3, computed while the file was copied in.
    """
    with _CWD_LOCK:
        bag = bagit.make_bag(
            str(bag_dir), dict(bag_info), processes=1, checksums=["sha256", "sha512"]
        )
    with (bag_dir / "manifest-sm3.txt").open("w", encoding="utf-8") as out:
        for name in sorted(sm3):
            out.write(f"{sm3[name]}  data/{name}\n")
    (bag_dir / METADATA_FILE).write_text(
        json.dumps(metadata, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    # Re-write the tag manifests so they cover the SM3 manifest and the metadata.
    with _CWD_LOCK:
        bag = bagit.Bag(str(bag_dir))
        bag.save(processes=1, manifests=False)
    with (bag_dir / "tagmanifest-sm3.txt").open("w", encoding="utf-8") as out:
        for name in _tag_files(bag_dir):
            out.write(f"{sm3_file(bag_dir / name)}  {name}\n")
    entries: dict[str, Any] = {}
    for rel, digests in bag.entries.items():
        if rel.startswith("data/"):
            entries[rel] = {"sha256": digests["sha256"], "sha512": digests["sha512"]}
    return {"entries": entries, "info": dict(bag.info)}


def tar_bag(bag_dir: Path, tar_path: Path, root: str) -> None:
    """An uncompressed tar of the bag under ``root/`` (ordered, so two runs read alike)."""
    with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(bag_dir.rglob("*")):
            if path.is_file():
                info = tar.gettarinfo(str(path), f"{root}/{path.relative_to(bag_dir).as_posix()}")
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o444
                with path.open("rb") as src:
                    tar.addfile(info, src)


def extract_tar(tar_path: Path, into: Path) -> Path:
    """Extract a package tar safely (no links, no paths outside) and return the bag directory."""
    with tarfile.open(tar_path, "r") as tar:
        tar.extractall(into, filter="data")
    roots = [p for p in into.iterdir() if p.is_dir()]
    if len(roots) != 1:
        raise ValueError("包中应只有一个根目录")
    return roots[0]


def _read_manifest(path: Path) -> dict[str, str]:
    lines: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        name = name.strip().lstrip("*")
        if not name or len(digest) != 64:
            raise ValueError(f"{path.name} 第 {number} 行格式错误")
        lines[name] = digest.lower()
    return lines


def validate_bag(bag_dir: Path) -> list[str]:
    """Every problem of the bag: bagit's (sha256/sha512, tag manifests, Payload-Oxum) and SM3's."""
    problems: list[str] = []
    try:
        bag = bagit.Bag(str(bag_dir))
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        details = getattr(exc, "details", None) or []
        if details:
            problems.extend(f"bagit: {d}" for d in details)
        else:
            problems.append(f"bagit: {exc.message}")
    except bagit.BagError as exc:
        problems.append(f"bagit: {exc}")
    for manifest, scope in (("manifest-sm3.txt", "payload"), ("tagmanifest-sm3.txt", "tag")):
        path = bag_dir / manifest
        if not path.is_file():
            problems.append(f"sm3: 缺少 {manifest}")
            continue
        try:
            listed = _read_manifest(path)
        except ValueError as exc:
            problems.append(f"sm3: {exc}")
            continue
        if scope == "payload":
            present = {
                p.relative_to(bag_dir).as_posix()
                for p in (bag_dir / "data").rglob("*")
                if p.is_file()
            }
        else:
            present = set(_tag_files(bag_dir))
        for name in sorted(present - set(listed)):
            problems.append(f"sm3: {name} 未列入 {manifest}")
        for name in sorted(set(listed) - present):
            problems.append(f"sm3: {manifest} 所列 {name} 不存在")
        for name in sorted(set(listed) & present):
            if not os.path.realpath(bag_dir / name).startswith(os.path.realpath(bag_dir)):
                problems.append(f"sm3: {name} 路径越界")
                continue
            actual = sm3_file(bag_dir / name)
            if actual != listed[name]:
                problems.append(f"sm3: {name} 的 SM3 为 {actual}，{manifest} 记录为 {listed[name]}")
    return problems


def payload_digests(bag_dir: Path) -> dict[str, dict[str, Any]]:
    """Size, SHA-256 and SM3 of each payload file as it is in the bag now."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((bag_dir / "data").rglob("*")):
        if path.is_file():
            rel = path.relative_to(bag_dir).as_posix()
            out[rel] = {
                "size": path.stat().st_size,
                "sha256": _sha(path, "sha256"),
                "sm3": sm3_file(path),
            }
    return out
