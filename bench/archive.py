"""Benchmark: archive ingest against raw writes to the same backend, and memory while ingesting.

    python bench/archive.py [--size-mib 1024] [--s3] [--s3-size-mib 256]
                            [--repeat N] [--before TREE] [--skip-filesystem]

In one run, for the filesystem backend (and ministack S3 with ``--s3``):

(i)   raw write throughput: the same bytes written to the backend with no
      hashing (a plain file written in 1 MiB chunks and fsynced; for S3 a bare
      ``minio`` ``put_object`` of the file, multipart above 5 MiB);
(ii)  archive ingest throughput: a multipart/form-data body streamed through
      the archive's parser (``StreamedForm``) into ``ArchiveStorage.put_locked``
      (SM3 and SHA-256 in the same pass, COMPLIANCE lock set and read back);
(iii) peak RSS growth while ingesting: each ingest runs in a fresh child
      process; growth = VmHWM after - VmRSS before.

With ``--before TREE`` (a checkout of other code, e.g. ``git archive main | tar -x -C TREE``)
the ingest of that tree's code is measured in the same run, against the same server
and the same raw figure; ``--repeat N`` interleaves N rounds and reports medians.

Ratios (ingest / raw) are printed and written to bench/results/archive.json.
Goals (issue 7): ingest >= 70% of raw; RSS growth <= 64 MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.support import arg_parser, machine, write_results  # noqa: E402

MiB = 1024 * 1024
BOUNDARY = "----govprojbench"


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def generate(path: Path, size: int) -> None:
    block = os.urandom(MiB)
    with path.open("wb") as out:
        for i in range(size // MiB):
            # Vary each block a little so nothing downstream can deduplicate it.
            out.write(i.to_bytes(8, "big") + block[8:])
        out.write(block[: size % MiB])


async def multipart_body(path: Path) -> AsyncIterator[bytes]:
    """What a browser sends: the metadata fields, then the file, in 64 KiB reads."""
    head = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in (("title", "基准测试"), ("doc_type", "other"))
    )
    head += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    yield head.encode()
    with path.open("rb") as src:
        while chunk := await asyncio.to_thread(src.read, 64 * 1024):
            yield chunk
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def make_store(backend: str, root: Path, s3: dict[str, Any] | None) -> Any:
    from libs.common.storage import FilesystemStore, S3Store

    if backend == "filesystem":
        return FilesystemStore(root)
    assert s3 is not None
    return S3Store(
        s3["endpoint"], s3["access_key"], s3["secret_key"], secure=False, region=s3["region"]
    )


async def ingest(backend: str, root: Path, s3: dict[str, Any] | None, path: Path) -> dict[str, Any]:
    from services.archive.documents.upload import StreamedForm
    from services.archive.storage import ArchiveStorage

    store = make_store(backend, root, s3)
    storage = ArchiveStorage(store, bucket_prefix="bench-")
    await storage.ensure_bucket("445322")
    rss_before = _status("VmRSS")
    started = time.perf_counter()
    form = StreamedForm(f"multipart/form-data; boundary={BOUNDARY}", aiter(multipart_body(path)))
    fields, file = await form.read_head()
    assert file is not None and fields["doc_type"] == "other"
    locked = await storage.put_locked(
        "445322", f"documents/bench-{time.time_ns()}", file, content_type=file.content_type, years=1
    )
    elapsed = time.perf_counter() - started
    return {
        "seconds": elapsed,
        "bytes": locked.stored.size,
        "sm3": locked.stored.sm3,
        "rss_before": rss_before,
        "rss_peak": _status("VmHWM"),
    }


def raw_write(backend: str, root: Path, s3: dict[str, Any] | None, path: Path) -> float:
    size = path.stat().st_size
    if backend == "filesystem":
        target = root / "raw.bin"
        started = time.perf_counter()
        with path.open("rb") as src, target.open("wb") as out:
            while chunk := src.read(MiB):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        elapsed = time.perf_counter() - started
        target.unlink()
        return elapsed
    store = make_store(backend, root, s3)
    client = store.client
    if not client.bucket_exists("bench-raw"):
        client.make_bucket("bench-raw")
    started = time.perf_counter()
    with path.open("rb") as src:
        client.put_object("bench-raw", "raw.bin", src, length=size, part_size=5 * MiB)
    return time.perf_counter() - started


def child(args: argparse.Namespace) -> None:
    s3 = json.loads(args.s3_json) if args.s3_json else None
    result = asyncio.run(ingest(args.backend, Path(args.root), s3, Path(args.file)))
    print(json.dumps(result))


def run_child(
    script: Path, backend: str, root: Path, file: Path, s3: dict[str, Any] | None
) -> dict[str, Any]:
    """One ingest in a fresh process, by ``script`` (this file, or the same file of another tree)."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.archive",
            "--child",
            "--backend",
            backend,
            "--root",
            str(root),
            "--file",
            str(file),
            "--s3-json",
            json.dumps(s3) if s3 else "",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=script.resolve().parents[1],
    )
    got: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["bytes"] == file.stat().st_size
    return got


def measure(
    backend: str,
    file: Path,
    work: Path,
    s3: dict[str, Any] | None,
    *,
    repeat: int = 1,
    before: Path | None = None,
) -> dict[str, Any]:
    """Raw write, ingest (and ingest by the ``before`` tree's code), interleaved ``repeat`` times.

    Interleaving puts each variant under the same background load; medians are reported.
    """
    size = file.stat().st_size
    root = work / f"store-{backend}"
    root.mkdir(exist_ok=True)
    raw: list[float] = []
    ingests: list[dict[str, Any]] = []
    befores: list[dict[str, Any]] = []
    for _ in range(repeat):
        raw.append(raw_write(backend, root, s3, file))
        ingests.append(run_child(Path(__file__), backend, root, file, s3))
        if before is not None:
            befores.append(run_child(before / "bench" / "archive.py", backend, root, file, s3))
    raw_mbs = size / MiB / statistics.median(raw)
    ingest_mbs = size / MiB / statistics.median(g["seconds"] for g in ingests)
    growth = max(g["rss_peak"] - g["rss_before"] for g in ingests) / MiB
    result: dict[str, Any] = {
        "backend": backend,
        "size_mib": size / MiB,
        "runs": repeat,
        "raw_write_mib_s": round(raw_mbs, 1),
        "ingest_mib_s": round(ingest_mbs, 1),
        "ingest_over_raw": round(ingest_mbs / raw_mbs, 3),
        "rss_growth_mib": round(growth, 1),
        "goal_ratio_met": ingest_mbs / raw_mbs >= 0.70,
        "goal_rss_met": growth <= 64,
        "each_run": [
            {"raw_s": round(r, 3), "ingest_s": round(g["seconds"], 3)}
            for r, g in zip(raw, ingests, strict=True)
        ],
    }
    if befores:
        before_mbs = size / MiB / statistics.median(g["seconds"] for g in befores)
        result["before"] = {
            "tree": str(before),
            "ingest_mib_s": round(before_mbs, 1),
            "ingest_over_raw": round(before_mbs / raw_mbs, 3),
            "each_run_s": [round(g["seconds"], 3) for g in befores],
        }
    return result


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--s3", action="store_true", help="also measure ministack S3")
    parser.add_argument("--s3-size-mib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=1, help="interleaved runs (medians)")
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout (e.g. `git archive main`): its ingest is measured in the same run",
    )
    parser.add_argument("--skip-filesystem", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="filesystem", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--s3-json", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    work = Path(tempfile.mkdtemp(prefix="govproj-bench-archive-"))
    results: list[dict[str, Any]] = []
    try:
        if not args.skip_filesystem:
            big = work / "big.bin"
            generate(big, args.size_mib * MiB)
            results.append(
                measure("filesystem", big, work, None, repeat=args.repeat, before=args.before)
            )
        if args.s3:
            from libs.common.testing.s3server import S3Server

            small = work / "s3.bin"
            generate(small, args.s3_size_mib * MiB)
            with S3Server() as server:
                s3 = {
                    "endpoint": server.endpoint,
                    "access_key": server.access_key,
                    "secret_key": server.secret_key,
                    "region": server.region,
                }
                results.append(
                    measure("s3", small, work, s3, repeat=args.repeat, before=args.before)
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for r in results:
        print(
            f"{r['backend']:>10}: {r['size_mib']:.0f} MiB  raw {r['raw_write_mib_s']} MiB/s  "
            f"ingest (SM3+SHA-256+lock) {r['ingest_mib_s']} MiB/s  ratio {r['ingest_over_raw']:.2f}  "
            f"RSS growth {r['rss_growth_mib']} MiB"
        )
        if "before" in r:
            print(
                f"{'':>10}  before ({r['before']['tree']}): ingest {r['before']['ingest_mib_s']} "
                f"MiB/s  ratio {r['before']['ingest_over_raw']:.2f}"
            )
    report = {
        "benchmark": "archive",
        "machine": machine(),
        "results": results,
    }
    write_results("archive", report)


if __name__ == "__main__":
    main()
