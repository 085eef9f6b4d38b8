# ruff: noqa: E501
"""HTTP speed of QazAI against a bare Starlette app (and nginx) on the same machine, in one run.

    .venv/bin/python bench/http_speed.py [--seconds 5] [--rounds 3] [--connections 4] [--rows 400000]

1. One open library (``--rows`` rows) is published through the real pipeline into a fresh data
   folder (SQLite, local object store) and the catalogue index is built.
2. Servers, each on 127.0.0.1, started as ``qazai serve`` runs the app (uvicorn, one worker,
   ``log_config=None``, the JSON access log on, written to a file):
   - ``qazai``: the QazAI app;
   - ``bare``: a bare Starlette app on the same uvicorn: a JSON endpoint (``/json``, a short body
     like package_show's envelope), one answering the very JSON QazAI's package_show answers
     (``/package``: on this machine a bare endpoint's rate falls 1.7-2.6x from a 100-byte to a
     1,777-byte body, so package_show is compared with the same bytes), and a ``FileResponse`` of
     the same stored Parquet file (``/file``);
   - with ``/usr/sbin/nginx`` (Debian package ``nginx``; skipped with a message when absent):
     ``nginx-bare`` serving the same file from the object folder, and ``nginx-accel``: nginx in
     front of a second QazAI started with ``QAZAI_ACCEL_REDIRECT`` (QazAI checks, nginx sends the
     bytes, docs/deploy/nginx.conf), and ``nginx-tree``: nginx in front of a third QazAI started
     with ``QAZAI_PUBLIC_FILES_DIR`` too (the first read links the open file, nginx serves the
     rest alone).
3. One client for every target: ``wrk`` (Debian package ``wrk``) with ``--connections``
   keep-alive connections on one thread, or, without wrk, an asyncio raw HTTP/1.1 keep-alive
   client with the same number of connections. Random ranged GETs take a random 4–64 KiB range
   of the file per request (a Lua script for wrk). Rounds alternate the targets; medians are printed
   side by side with the ratios, and the machine's load average before and after each run.
4. Under each rate, the servers' CPU time per request (user + system from /proc, nginx's workers
   and, for the X-Accel row, nginx + QazAI together): on a machine other work shares, req/s swing
   with the load while CPU per request does not, so the CPU ratio is the steadier figure.

Targets (issue 18): package_show (against the bare endpoint answering its bytes) and
/api/v1/health ≥ 50 % of the bare JSON endpoint's req/s;
ranged GETs of a version file ≥ 80 % of the bare ``FileResponse``; through nginx with
X-Accel-Redirect (or, for open files, from the public tree) ≥ 50 % of bare nginx.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import bench_settings, create_stat_gov, free_port, start_server, wait_for_server

NGINX = "/usr/sbin/nginx"
LIBRARY = "bench-http"
ACCEL_LOCATION = "/_qazai/objects/"
MIN_RANGE, MAX_RANGE = 4 * 1024, 64 * 1024


# -- the servers (run in subprocesses: `--serve qazai|qazai-accel|bare`) --------------------------


def _serve(kind: str, port: int, data_dir: Path, database_url: str, file_path: str) -> None:
    import uvicorn

    if kind == "bare":
        from starlette.applications import Starlette
        from starlette.responses import FileResponse, JSONResponse
        from starlette.routing import Route

        body = {"help": "x", "success": True, "result": {"id": "01J", "name": "bare", "resources": []}}

        async def endpoint(request: Any) -> JSONResponse:
            return JSONResponse(body)

        # the very JSON QazAI's package_show answers (written by main() before this server starts)
        package = json.loads((data_dir.parent / "package_show.json").read_bytes())

        async def package_endpoint(request: Any) -> JSONResponse:
            return JSONResponse(package)

        async def file(request: Any) -> FileResponse:
            return FileResponse(file_path, media_type="application/vnd.apache.parquet")

        app: Any = Starlette(
            routes=[Route("/json", endpoint), Route("/package", package_endpoint), Route("/file", file)]
        )
    else:
        from qazai.api.app import create_app
        from qazai.api.wiring import build_platform
        from qazai.catalog.indexer import catalog_index

        extra: dict[str, Any] = {"accel_redirect": ACCEL_LOCATION} if kind != "qazai" else {}
        if kind == "qazai-tree":  # open files linked for nginx (QAZAI_PUBLIC_FILES_DIR)
            extra["public_files_dir"] = data_dir.parent / "public"
        platform = build_platform(
            bench_settings(data_dir, database_url, base_url=f"http://127.0.0.1:{port}", **extra),
            start_workers=False,
        )
        catalog_index(platform.db)  # build the index before the server answers
        app = create_app(platform)
    # as `qazai serve` runs it: no uvicorn logging config, the app's own JSON access log
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


START_SECONDS = 300  # for the servers and nginx to answer


def _start(
    kind: str, data_dir: Path, database_url: str, file_path: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """A server subprocess; its log (the app's JSON access lines) goes to a file, as in production."""
    return start_server(
        [
            __file__,
            "--serve",
            kind,
            "--data-dir",
            str(data_dir),
            "--database-url",
            database_url,
            "--file",
            str(file_path),
        ],
        data_dir.parent / f"{kind}.log",
        probe="/json" if kind == "bare" else "/api/v1/health",
        ready=lambda status: status < 500,
        seconds=START_SECONDS,
        what=f"the {kind} server",
    )


NGINX_CONF = r"""
{user}worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    upstream qazai {{ server 127.0.0.1:{qazai_port}; keepalive 16; }}
    upstream qazai_tree {{ server 127.0.0.1:{tree_qazai_port}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{bare_port};
        location = /file {{ alias {file}; default_type application/vnd.apache.parquet; }}
    }}
    server {{
        listen 127.0.0.1:{front_port};
        location {accel} {{ internal; alias {objects}/; }}
        location / {{
            proxy_pass http://qazai;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
    }}
    server {{
        listen 127.0.0.1:{tree_port};
        location {accel} {{ internal; alias {objects}/; }}
        location ~ ^/libraries/[^/]+/v/[0-9]+/data/[^/]+\.parquet$ {{
            root {public};
            try_files $uri @qazai;
            error_page 405 = @qazai;
            default_type application/vnd.apache.parquet;
            max_ranges 1;
        }}
        location /_qazai/public/ {{ internal; alias {public}/; max_ranges 1; }}
        location @qazai {{
            proxy_pass http://qazai_tree;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
        location / {{
            proxy_pass http://qazai_tree;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
    }}
}}
"""


def _start_nginx(
    work: Path, file_path: Path, objects: Path, qazai_port: int, tree_qazai_port: int
) -> tuple[subprocess.Popen[bytes], str, str, str]:
    bare_port, front_port, tree_port = free_port(), free_port(), free_port()
    conf = work / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            user="user root;\n"
            if os.geteuid() == 0
            else "",  # workers as nobody cannot enter the 0700 temp folder
            work=work,
            qazai_port=qazai_port,
            bare_port=bare_port,
            front_port=front_port,
            tree_port=tree_port,
            tree_qazai_port=tree_qazai_port,
            public=work / "public",
            file=file_path,
            accel=ACCEL_LOCATION,
            objects=objects,
        )
    )
    process = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(work), "-e", str(work / "nginx-error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bare, front = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{front_port}"
    wait_for_server(
        bare,
        "/file",
        process,
        ready=lambda status: status < 500,
        seconds=START_SECONDS,
        what="the nginx server",
    )
    return process, bare, front, f"http://127.0.0.1:{tree_port}"


# -- data ----------------------------------------------------------------------------------------


def _setup(data_dir: Path, database_url: str, rows: int) -> tuple[Path, Path, str, int]:
    """Publish the library; returns (stored file, objects folder, file URL path, size)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tests.libraries.publishing import FULL_META, publish

    from qazai.api.wiring import build_platform
    from qazai.core.text import LocalizedText
    from qazai.identity.actor import SYSTEM
    from qazai.libraries import service
    from qazai.libraries.models import LibraryCreate
    from qazai.storage.objects import LocalObjectStore

    platform = build_platform(
        bench_settings(data_dir, database_url, base_url="http://127.0.0.1"), start_workers=False
    )
    try:
        create_stat_gov(platform, "Bureau of National Statistics")
        rng = np.random.default_rng(18)
        source = data_dir / "seed.parquet"
        regions = ["Алматы", "Астана", "Шымкент", "Қарағанды", "Ақтөбе", "Атырау"]
        pq.write_table(
            pa.table(
                {
                    "region": pa.array(np.array(regions)[rng.integers(0, len(regions), rows)]),
                    "year": pa.array(rng.integers(2000, 2025, rows)),
                    "value": pa.array(rng.random(rows) * 1000),
                }
            ),
            source,
            compression="zstd",
        )
        with platform.db.uow() as uow:
            service.create_library(
                uow,
                SYSTEM,
                LibraryCreate(
                    slug=LIBRARY,
                    organisation="stat-gov",
                    title=LocalizedText(kk="Көрсеткіштер", ru="Показатели", en="Indicators"),
                    **FULL_META,
                ),
            )
        job = publish(platform, LIBRARY, source)
        if job.state.value != "succeeded":
            raise SystemExit(f"publishing failed: {job.error}")
        with platform.db.uow(read_only=True) as uow:
            version = service.load_version(uow.session, service.load_library(uow.session, LIBRARY), 1)
            part = version.manifest["parts"][0]
        store = platform.objects
        assert isinstance(store, LocalObjectStore)
        return (
            store.local_path(part["key"]),
            store.root,
            f"/libraries/{LIBRARY}/v/1/data/{part['file']}",
            int(part["bytes"]),
        )
    finally:
        platform.close()


# -- the client ------------------------------------------------------------------------------------

WRK_RANGES = """
math.randomseed({seed})
request = function()
  local len = math.random({lo}, {hi})
  local start = math.random(0, {size} - len)
  return wrk.format("GET", "{path}", {{["Range"] = "bytes=" .. start .. "-" .. (start + len - 1)}})
end
"""


def _wrk(
    base: str, path: str, seconds: float, connections: int, size: int | None, work: Path
) -> tuple[float, int]:
    """Requests/s and the count of answers other than 2xx/3xx."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    if size is not None:
        script = work / "ranges.lua"
        script.write_text(
            WRK_RANGES.format(
                seed=random.randrange(1 << 30), lo=MIN_RANGE, hi=min(MAX_RANGE, size), size=size, path=path
            )
        )
        args += ["-s", str(script)]
    out = subprocess.run([*args, base + path], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


async def _async_client(
    base: str, path: str, seconds: float, connections: int, size: int | None
) -> tuple[float, int]:
    """The same measurement without wrk: raw HTTP/1.1 keep-alive requests on ``connections`` sockets."""
    host, port = base.removeprefix("http://").split(":")
    deadline = time.perf_counter() + seconds
    done = bad = 0

    async def one_connection() -> None:
        nonlocal done, bad
        reader, writer = await asyncio.open_connection(host, int(port))
        while time.perf_counter() < deadline:
            extra = ""
            if size is not None:
                length = random.randint(MIN_RANGE, min(MAX_RANGE, size))
                start = random.randint(0, size - length)
                extra = f"Range: bytes={start}-{start + length - 1}\r\n"
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length_match = re.search(rb"(?i)content-length:\s*(\d+)", head)
            await reader.readexactly(int(length_match.group(1)) if length_match else 0)
            done += 1
            bad += status >= 400
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return done / (time.perf_counter() - started), bad


def _measure(
    base: str, path: str, seconds: float, connections: int, size: int | None, work: Path
) -> tuple[float, int]:
    if shutil.which("wrk"):
        return _wrk(base, path, seconds, connections, size, work)
    return asyncio.run(_async_client(base, path, seconds, connections, size))


def _cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of these processes and their children (nginx's workers) so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    seen: set[int] = set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


# -- the run ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--only", default="", help="comma-separated workloads: json,ranges")
    parser.add_argument("--no-nginx", action="store_true", help="leave nginx out even when installed")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.port, args.data_dir, args.database_url, args.file)
        return

    work = Path(tempfile.mkdtemp(prefix="qazai-http-bench-"))
    data_dir = work / "data"
    data_dir.mkdir()
    database_url = f"sqlite:///{data_dir / 'qazai.db'}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        print(
            f"machine: {os.cpu_count()} cores, load {_load()} (1/5 min); client: {'wrk' if shutil.which('wrk') else 'asyncio raw HTTP/1.1'}, {args.connections} connections, {args.seconds:g} s x {args.rounds} rounds"
        )
        file_path, objects, file_url, size = _setup(data_dir, database_url, args.rows)
        print(f"file: {file_url} ({size / 1e6:.1f} MB)")
        qazai_proc, qazai = _start("qazai", data_dir, database_url, file_path)
        import httpx

        shown = httpx.get(f"{qazai}/api/3/action/package_show?id={LIBRARY}", timeout=30)
        shown.raise_for_status()
        (work / "package_show.json").write_bytes(shown.content)
        bare_proc, bare = _start("bare", data_dir, database_url, file_path)
        processes += [qazai_proc, bare_proc]
        targets: dict[str, list[tuple[str, str, str]]] = {
            "json": [
                ("bare JSON endpoint", bare, "/json"),
                ("bare JSON, package_show's bytes", bare, "/package"),
                ("QazAI package_show", qazai, f"/api/3/action/package_show?id={LIBRARY}"),
                ("QazAI /api/v1/health", qazai, "/api/v1/health"),
            ],
            "ranges": [
                ("bare Starlette FileResponse", bare, "/file"),
                ("QazAI version file", qazai, file_url),
            ],
        }
        server_pids = {
            "bare JSON endpoint": [bare_proc.pid],
            "bare JSON, package_show's bytes": [bare_proc.pid],
            "QazAI package_show": [qazai_proc.pid],
            "QazAI /api/v1/health": [qazai_proc.pid],
            "bare Starlette FileResponse": [bare_proc.pid],
            "QazAI version file": [qazai_proc.pid],
        }
        cpu_reference = {
            "QazAI package_show": "bare JSON, package_show's bytes",
            "QazAI /api/v1/health": "bare JSON endpoint",
            "QazAI version file": "bare Starlette FileResponse",
        }
        if Path(NGINX).exists() and not args.no_nginx:
            accel_proc, accel = _start("qazai-accel", data_dir, database_url, file_path)
            tree_proc, tree = _start("qazai-tree", data_dir, database_url, file_path)
            nginx_proc, nginx_bare, nginx_front, nginx_tree = _start_nginx(
                work, file_path, objects, int(accel.rsplit(":", 1)[1]), int(tree.rsplit(":", 1)[1])
            )
            processes += [accel_proc, nginx_proc, tree_proc]
            targets["ranges"] += [
                ("bare nginx (static file)", nginx_bare, "/file"),
                ("nginx + QazAI X-Accel-Redirect", nginx_front, file_url),
                ("nginx, public tree (open file)", nginx_tree, file_url),
            ]
            server_pids["bare nginx (static file)"] = [nginx_proc.pid]
            server_pids["nginx + QazAI X-Accel-Redirect"] = [nginx_proc.pid, accel_proc.pid]
            server_pids["nginx, public tree (open file)"] = [nginx_proc.pid, tree_proc.pid]
            cpu_reference["nginx + QazAI X-Accel-Redirect"] = "bare nginx (static file)"
            cpu_reference["nginx, public tree (open file)"] = "bare nginx (static file)"
        else:
            print(
                "nginx: left out (--no-nginx)"
                if args.no_nginx
                else f"nginx: {NGINX} is absent (apt-get install nginx): the nginx rows are skipped"
            )
        chosen = [w for w in (args.only.split(",") if args.only else targets)]
        for workload in chosen:
            rates: dict[str, list[float]] = {name: [] for name, _, _ in targets[workload]}
            # server CPU per request: steadier than req/s when other work shares the cores
            cpu_per_request: dict[str, list[float]] = {name: [] for name, _, _ in targets[workload]}
            errors: dict[str, int] = dict.fromkeys(rates, 0)
            loads: list[str] = []
            for _ in range(args.rounds):
                for name, base, path in targets[workload]:
                    before = _load()
                    cpu_before = _cpu_seconds(server_pids[name])
                    rate, bad = _measure(
                        base,
                        path,
                        args.seconds,
                        args.connections,
                        size if workload == "ranges" else None,
                        work,
                    )
                    rates[name].append(rate)
                    used = _cpu_seconds(server_pids[name]) - cpu_before
                    cpu_per_request[name].append(used / max(1.0, rate * args.seconds) * 1e6)
                    errors[name] += bad
                    loads.append(f"{before}->{_load()}")
            print(
                f"\n== {workload} ({'random 4-64 KiB ranges' if workload == 'ranges' else 'GET'}; load during the runs: {', '.join(loads)})"
            )
            reference = statistics.median(rates[targets[workload][0][0]])
            for name, _, _ in targets[workload]:
                median = statistics.median(rates[name])
                line = f"{name:34s} {median:9,.0f} req/s  ({', '.join(f'{r:,.0f}' for r in rates[name])})"
                line += f"  {median / reference:6.1%} of {targets[workload][0][0]}"
                if name == "QazAI package_show":
                    same = statistics.median(rates["bare JSON, package_show's bytes"])
                    line += f", {median / same:.1%} of the bare endpoint answering the same bytes"
                if name.startswith("nginx +") or name.startswith("nginx, "):
                    line += (
                        f", {median / statistics.median(rates['bare nginx (static file)']):.1%} of bare nginx"
                    )
                cpu = statistics.median(cpu_per_request[name])
                line += f"\n{'':34s} server CPU {cpu:7.0f} µs/request"
                if name in cpu_reference:
                    ref_name = cpu_reference[name]
                    ref_cpu = statistics.median(cpu_per_request[ref_name])
                    line += f", {ref_cpu / cpu:.1%} of {ref_name}'s CPU efficiency"
                if errors[name]:
                    line += f"  [{errors[name]} error answers]"
                print(line)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
