"""Model downloads through the Hugging Face-compatible API against reading the object store, in one run.

    .venv/bin/python bench/hf_download.py [--size-mib 1024] [--rounds 3]

1. A model of ``--size-mib`` MiB (one safetensors file of random float32 + config.json) is pushed
   through the models service into a fresh data folder (SQLite, local object store).
2. The QazAI app runs as a uvicorn subprocess on 127.0.0.1 (as ``qazai serve`` would).
3. Alternating rounds, each on a fresh cache folder:
   - reference: the same bytes read straight from the object store folder (10 MiB reads), and the
     same copied into a file in chunks (read + write: what a download does after the network);
   - ``huggingface_hub.snapshot_download(endpoint=...)`` of the repo (HEAD, GET, write, cache).
   Medians of MB/s and the ratios side by side. Files stay in the page cache for both.
4. Resume: ``hf_hub_download`` through a proxy that drops the connection once, just past half of
   the file (on the client's 10 MiB write boundary, see tests/interop/test_hf_models.py); the proxy
   records the client's second request (its ``Range``) and the bytes forwarded, and the downloaded
   file's SHA-256 is checked against the stored one.

Target (issue 14): snapshot_download at >= 50 % of the throughput of reading from the object store
folder; a download interrupted halfway resumes without re-reading the first half.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import bench_settings, create_stat_gov, start_server

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

MIB = 1024 * 1024
CHUNK = 10 * MIB  # huggingface_hub's DOWNLOAD_CHUNK_SIZE
REPO = "stat-gov/big-model"


def _serve(port: int, data_dir: Path, database_url: str) -> None:
    import uvicorn

    from qazai.api.app import create_app
    from qazai.api.wiring import build_platform

    platform = build_platform(
        bench_settings(data_dir, database_url, base_url=f"http://127.0.0.1:{port}"), start_workers=False
    )
    uvicorn.run(create_app(platform), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _serve_bare(port: int, stored: Path) -> None:
    """The ceiling: a bare Starlette app on the same uvicorn streaming the same file, no QazAI."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    def chunks() -> Any:
        with stored.open("rb") as handle:
            while block := handle.read(MIB):
                yield block

    def endpoint(request: Request) -> StreamingResponse:
        return StreamingResponse(chunks(), headers={"Content-Length": str(stored.stat().st_size)})

    app = Starlette(routes=[Route("/file", endpoint)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _write_safetensors(path: Path, size_mib: int) -> None:
    """One float32 tensor of ``size_mib`` MiB, written in chunks (never all in memory)."""
    count = size_mib * MIB // 4
    header = json.dumps(
        {"weight": {"dtype": "F32", "shape": [count], "data_offsets": [0, count * 4]}}
    ).encode()
    header += b" " * (-len(header) % 8)
    with path.open("wb") as handle:
        handle.write(len(header).to_bytes(8, "little") + header)
        left = count * 4
        while left:
            block = os.urandom(min(CHUNK, left))
            handle.write(block)
            left -= len(block)


def _prepare(work: Path, size_mib: int) -> tuple[Path, str, Path, int]:
    """Push the model; return (data_dir, database_url, object file, size)."""
    from tests.models.factory import create_repo, push_folder

    from qazai.api.wiring import build_platform
    from qazai.identity.actor import SYSTEM
    from qazai.models import reads
    from qazai.storage.migrate import upgrade_database

    data_dir = work / "data"
    database_url = f"sqlite:///{work / 'qazai.db'}"
    upgrade_database(database_url)
    platform = build_platform(bench_settings(data_dir, database_url, base_url=None), start_workers=False)
    try:
        create_stat_gov(platform, "Stat")
        model = work / "model"
        model.mkdir()
        (model / "config.json").write_text('{"model_type": "bench"}', encoding="utf-8")
        _write_safetensors(model / "model.safetensors", size_mib)
        create_repo(platform, "big-model")
        started = time.perf_counter()
        push_folder(platform, REPO, model)
        print(f"pushed {size_mib} MiB through the models service in {time.perf_counter() - started:.1f} s")
        with platform.db.uow(read_only=True) as uow:
            files = reads.resolve_revision(uow, SYSTEM, REPO).files
        weights = next(f for f in files if f.path == "model.safetensors")
        stored = platform.objects.local_path(weights.object_key)  # type: ignore[attr-defined]
        shutil.rmtree(model)
        return data_dir, database_url, stored, weights.size
    finally:
        platform.db.dispose()


def _start(
    data_dir: Path, database_url: str, bare: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    args = ["--serve", "--data-dir", str(data_dir), "--database-url", database_url]
    if bare is not None:
        args += ["--bare", str(bare)]
    return start_server(
        [__file__, *args],
        data_dir.parent / "server.log",
        probe="/file" if bare else "/api/v1/health",
        ready=lambda status: status in (200, 405),
        seconds=120,
        what="the server",
        method="HEAD",
    )


def _read(stored: Path) -> float:
    started = time.perf_counter()
    with stored.open("rb") as handle:
        while handle.read(CHUNK):
            pass
    return time.perf_counter() - started


def _copy(stored: Path, target: Path) -> float:
    started = time.perf_counter()
    with stored.open("rb") as source, target.open("wb") as sink:
        while block := source.read(CHUNK):
            sink.write(block)
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def _stream(url: str, target: Path) -> float:
    """The same HTTP client as huggingface_hub (httpx2, 10 MiB chunks written to a file), no Hub logic."""
    import httpx2

    started = time.perf_counter()
    with httpx2.Client() as client, client.stream("GET", url) as answer, target.open("wb") as sink:
        answer.raise_for_status()
        for block in answer.iter_bytes(CHUNK):
            sink.write(block)
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def _snapshot(base: str, cache: Path) -> float:
    from huggingface_hub import snapshot_download

    started = time.perf_counter()
    snapshot_download(REPO, endpoint=base, cache_dir=cache, token=False)
    elapsed = time.perf_counter() - started
    shutil.rmtree(cache)
    return elapsed


def _resume(base: str, cache: Path, size: int, stored: Path) -> dict[str, Any]:
    from huggingface_hub import hf_hub_download
    from tests.interop.hf_proxy import CuttingProxy

    half = size // 2
    cut = -(-half // CHUNK) * CHUNK + 65536  # just past the first 10 MiB boundary after the half
    proxy = CuttingProxy(upstream_port=int(base.rsplit(":", 1)[1]), cut_after=cut)
    started = time.perf_counter()
    try:
        path = hf_hub_download(REPO, "model.safetensors", endpoint=proxy.base, cache_dir=cache, token=False)
    finally:
        proxy.close()
    elapsed = time.perf_counter() - started
    gets = [r for r in proxy.requests if r.startswith("GET ") and "model.safetensors" in r]
    ranges = [line for r in gets for line in r.split("\r\n") if line.lower().startswith("range:")]
    resumed_at = int(ranges[0].split("=")[1].split("-")[0]) if ranges else 0
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    with stored.open("rb") as handle:
        expected = hashlib.file_digest(handle, "sha256").hexdigest()
    shutil.rmtree(cache)
    return {
        "cuts": proxy.cuts,
        "gets": len(gets),
        "resumed_at": resumed_at,
        "half": half,
        "first_half_bytes_asked_again": max(0, half - resumed_at) if ranges else half,
        "second_request_bytes": size - resumed_at,
        "sha256_ok": digest.hexdigest() == expected,
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--bare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        if args.bare:
            _serve_bare(args.port, args.bare)
        else:
            _serve(args.port, args.data_dir, args.database_url)
        return
    with tempfile.TemporaryDirectory(prefix="qazai-hf-bench-") as tmp:
        work = Path(tmp)
        data_dir, database_url, stored, size = _prepare(work, args.size_mib)
        process, base = _start(data_dir, database_url)
        bare_process, bare_base = _start(data_dir, database_url, bare=stored)
        file_url = f"{base}/{REPO}/resolve/main/model.safetensors"
        try:
            times: dict[str, list[float]] = {"read": [], "copy": [], "bare": [], "raw": [], "hf": []}
            _read(stored)  # warm the page cache for every path
            for i in range(args.rounds):
                times["read"].append(_read(stored))
                times["copy"].append(_copy(stored, work / "copy.bin"))
                times["bare"].append(_stream(f"{bare_base}/file", work / "bare.bin"))
                times["raw"].append(_stream(file_url, work / "raw.bin"))
                times["hf"].append(_snapshot(base, work / f"cache-{i}"))
            resume = _resume(base, work / "cache-resume", size, stored)
        finally:
            for running in (process, bare_process):
                running.terminate()
                running.wait(timeout=30)
    mb = size / 1e6
    rate = {name: mb / statistics.median(seconds) for name, seconds in times.items()}
    rows = [
        ("read", "object store folder, read (10 MiB reads)"),
        ("copy", "object store folder, read + write to a file"),
        ("bare", "bare Starlette on uvicorn, same file, httpx2 -> file"),
        ("raw", "QazAI /resolve, httpx2 -> file (huggingface_hub's client)"),
        ("hf", "QazAI, huggingface_hub.snapshot_download (HEADs, cache)"),
    ]
    print(f"\nfile: {size:,} bytes; {args.rounds} alternating rounds, medians")
    print(f"{'path':60} {'MB/s':>7} {'snapshot / it':>14}")
    for key, label in rows:
        print(f"{label:60} {rate[key]:7.0f} {rate['hf'] / rate[key]:14.0%}")
    print(f"target: snapshot_download >= 50 % of reading the folder -> {rate['hf'] / rate['read']:.0%}")
    print(
        "\nresume: connection dropped {cuts}x at {cut:.0f} MiB; second GET asked Range from byte {at:,} "
        "(half = {half:,}); bytes of the first half asked again: {again:,}; second request read {second:,} "
        "bytes; SHA-256 {ok}; {s:.1f} s".format(
            cuts=resume["cuts"],
            cut=(-(-resume["half"] // CHUNK) * CHUNK + 65536) / MIB,
            at=resume["resumed_at"],
            half=resume["half"],
            again=resume["first_half_bytes_asked_again"],
            second=resume["second_request_bytes"],
            ok="matches" if resume["sha256_ok"] else "DIFFERS",
            s=resume["seconds"],
        )
    )


if __name__ == "__main__":
    main()
