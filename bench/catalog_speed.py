# ruff: noqa: E501
"""Catalogue speed with 10,000 libraries, over HTTP against real uvicorn servers, in one run.

    .venv/bin/python bench/catalog_speed.py [--libraries 10000] [--rows 1500000] [--seconds 5] [--concurrency 4]
    .venv/bin/python bench/catalog_speed.py --libraries 100000 --rows 100000 --search-only   # issue 18
    .venv/bin/python bench/catalog_speed.py --libraries 100000 --rows 100000 --search-only --work /tmp/bench-100k
        # seeds /tmp/bench-100k once; later runs (of this or another checkout) reuse it

1. One library (``--rows`` rows: region, year, value) is published through the real pipeline;
   ``--libraries - 1`` published clones of it with varied kk/ru/en titles, descriptions, themes
   and regions are bulk-inserted (``tests/catalog/bulk.py``): all searchable and package_show-able.
2. Two servers, each a uvicorn subprocess on 127.0.0.1: the QazAI app, and a bare Starlette app
   with one JSON endpoint (the ceiling of the machine for this client).
3. Search: sequential ``GET /api/v1/catalog/search`` (Cyrillic, Latin-script Kazakh, English,
   with and without facet filters) → p50/p95, beside the bare endpoint's p50/p95.
4. ``package_show``: ``--concurrency`` client threads for ``--seconds`` → requests/s, beside the
   bare endpoint with the same client.
5. Query API: the same aggregate SQL over HTTP (``/api/v1/query``), in-process through the
   service, and directly in DuckDB on the same Parquet files → medians and ratios; plus a tiny
   query, where the fixed cost dominates.

Before the servers start, the index is built in the bench's own process too (its build time, wall
and CPU, is printed) and the same searches are run on the search engine alone (tantivy: ranking
and facet counts, no result dicts, no HTTP), for the side-by-side "tantivy alone" figures. The
search and package_search figures are over HTTP against the live uvicorn server.

Targets (issue 5): search p95 ≤ 30 ms; package_show ≥ 50 % of the ceiling's requests/s; query
overhead ≤ 1.2× DuckDB. Issue 18: search and package_search p95 ≤ 30 ms at 100,000 libraries.
``--search-only`` skips the throughput and query parts.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import bench_settings, create_stat_gov, percentile, start_server

# -- the servers (run in subprocesses: `--serve app|bare`) --------------------------------------

START_SECONDS = 1800  # the app builds its index before answering: minutes at 100,000 on a busy machine


def _settings(data_dir: Path, database_url: str, base_url: str) -> Any:
    # the client here is one anonymous address sending ~50 queries
    return bench_settings(data_dir, database_url, base_url=base_url, query_anonymous_per_minute=0)


def _serve(kind: str, port: int, data_dir: Path, database_url: str) -> None:
    import uvicorn

    if kind == "bare":
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        body = {"help": "x", "success": True, "result": {"id": "01J", "name": "bare", "resources": []}}

        async def endpoint(request: Any) -> JSONResponse:
            return JSONResponse(body)

        def sync_endpoint(request: Any) -> JSONResponse:
            return JSONResponse(body)

        app: Any = Starlette(routes=[Route("/json", endpoint), Route("/json-sync", sync_endpoint)])
    else:
        from qazai.api.app import create_app
        from qazai.api.wiring import build_platform
        from qazai.catalog.indexer import catalog_index

        platform = build_platform(
            _settings(data_dir, database_url, f"http://127.0.0.1:{port}"), start_workers=False
        )
        catalog_index(platform.db)  # build the index before the server answers
        app = create_app(platform)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _start(kind: str, data_dir: Path, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    """A server subprocess; its log (the app's JSON access lines) goes to a file, as in production."""
    return start_server(
        [__file__, "--serve", kind, "--data-dir", str(data_dir), "--database-url", database_url],
        data_dir.parent / f"{kind}.log",
        probe="/json" if kind == "bare" else "/api/v1/health",
        ready=lambda status: status == 200,
        seconds=START_SECONDS,
        what=f"the {kind} server",
    )


# -- data ----------------------------------------------------------------------------------------


def _setup(data_dir: Path, database_url: str, libraries: int, rows: int) -> dict[str, float]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tests.catalog.bulk import REGIONS, clone_published
    from tests.libraries.publishing import FULL_META, publish

    from qazai.api.wiring import build_platform
    from qazai.core.text import LocalizedText
    from qazai.identity.actor import SYSTEM
    from qazai.libraries import service
    from qazai.libraries.models import LibraryCreate

    timings: dict[str, float] = {}
    platform = build_platform(_settings(data_dir, database_url, "http://127.0.0.1"), start_workers=False)
    platform.settings.upload_max_bytes = max(platform.settings.upload_max_bytes, 1 << 31)
    create_stat_gov(platform, "Bureau of National Statistics")
    rng = np.random.default_rng(6)
    source = data_dir / "seed.parquet"
    table = pa.table(
        {
            "region": pa.array(np.array(REGIONS)[rng.integers(0, len(REGIONS), rows)]),
            "year": pa.array(rng.integers(2000, 2025, rows)),
            "value": pa.array(rng.random(rows) * 1000),
        }
    )
    pq.write_table(table, source, compression="zstd")
    with platform.db.uow() as uow:
        service.create_library(
            uow,
            SYSTEM,
            LibraryCreate(
                slug="bench-seed",
                organisation="stat-gov",
                title=LocalizedText(
                    kk="Өңірлер бойынша көрсеткіштер", ru="Показатели по регионам", en="Indicators by region"
                ),
                **FULL_META,
            ),
        )
    started = time.perf_counter()
    job = publish(platform, "bench-seed", source)
    timings["publish_seed_s"] = time.perf_counter() - started
    if job.state.value != "succeeded":
        raise SystemExit(f"publishing the seed failed: {job.error}")
    started = time.perf_counter()
    clone_published(platform.db, "bench-seed", libraries - 1, prefix="lib")
    timings["insert_clones_s"] = time.perf_counter() - started
    platform.close()
    return timings


def _seed_paths(data_dir: Path, database_url: str) -> list[str]:
    """The local paths of the seed's Parquet parts, as the query service resolves them."""
    from qazai.api.wiring import build_platform
    from qazai.catalog import service
    from qazai.catalog.indexer import CatalogIndex
    from qazai.identity.actor import SYSTEM

    platform = build_platform(_settings(data_dir, database_url, "http://127.0.0.1"), start_workers=False)
    try:
        index = CatalogIndex(platform.db)
        with platform.db.uow(read_only=True) as uow:
            tables = service.queryable_tables(uow, index, platform.objects, SYSTEM)
        return list(tables["bench-seed"].paths)
    finally:
        platform.close()


# -- measurements ----------------------------------------------------------------------------------


def _latencies(client: Any, base: str, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(base + path)
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
    return out


def _cpu(process: Any) -> float:
    """CPU seconds (user + system, every thread) the server process has used so far: steadier
    than wall times on a shared machine."""
    times = process.cpu_times()
    return float(times.user + times.system)


def _throughput(base: str, paths: list[str], seconds: float, concurrency: int) -> float:
    import httpx

    counts = [0] * concurrency
    stop = time.monotonic() + seconds
    failures: list[str] = []

    def worker(n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < stop:
                response = client.get(base + rng.choice(paths))
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:200]}")
                    return
                counts[n] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(failures[0])
    return sum(counts) / (time.monotonic() - started)


def _search_paths(n: int) -> list[str]:
    from urllib.parse import urlencode

    from tests.catalog.bulk import WORDS

    rng = random.Random(30)
    queries = []
    for i in range(n):
        lang = ("kk", "ru", "en")[i % 3]
        words = " ".join(rng.sample(WORDS[lang], 2))
        if i % 5 == 4:
            words = rng.choice(["halyq sany", "Halyq", "mektepter", "auruhanalar", "bagalar"])  # Latin Kazakh
        params: dict[str, Any] = {"q": words}
        if i % 4 == 3:
            params["theme"] = rng.choice(["demography", "economy", "health"])
        queries.append("/api/v1/catalog/search?" + urlencode(params))
    return queries


class _SearchOnly(Exception):
    pass


def _engine_alone(data_dir: Path, database_url: str, paths: list[str]) -> dict[str, float]:
    """Build the index in this process (timed) and run ``paths``' searches on the engine alone."""
    from urllib.parse import parse_qsl, urlsplit

    from qazai.api.wiring import build_platform
    from qazai.catalog.ckan_params import package_search_request
    from qazai.catalog.indexer import CatalogIndex
    from qazai.catalog.search import PUBLIC

    platform = build_platform(_settings(data_dir, database_url, "http://127.0.0.1"), start_workers=False)
    try:
        index = CatalogIndex(platform.db)
        started, cpu = time.perf_counter(), time.process_time()
        index.rebuild()
        out = {"build_s": time.perf_counter() - started, "build_cpu_s": time.process_time() - cpu}
        requests, ckan_requests = [], []
        for path in paths:  # the parameters the API route gives package_search_request
            pairs = parse_qsl(urlsplit(path).query)
            fq = " ".join(f'{k}:("{v}")' for k, v in pairs if k != "q")
            q = next((v for k, v in pairs if k == "q"), "")
            facets = ["producer", "theme", "tier", "licence", "format", "region", "year"]
            requests.append(package_search_request({"q": q, "fq": fq, "rows": 20, "facet.field": facets}))
            # what the bench's package_search URLs ask for: q only (`theme` is no CKAN parameter), no facets
            ckan_requests.append(package_search_request({"q": q, "rows": 20}))
        visible = frozenset({PUBLIC})
        engine = index.engine
        for request in requests[:30]:
            engine.search(request, visible)

        def timed(label: str, batch: list[Any], forget_counts: bool) -> None:
            # process CPU: the facet counts may run on another thread
            wall, cpu_ms = [], []
            for request in batch:
                if forget_counts:
                    engine._facet_cache.clear()  # type: ignore[attr-defined]
                started, cpu = time.perf_counter(), time.process_time()
                engine.search(request, visible)
                wall.append((time.perf_counter() - started) * 1000)
                cpu_ms.append((time.process_time() - cpu) * 1000)
            out.update(
                {
                    f"{label}p50": percentile(wall, 0.5),
                    f"{label}p95": percentile(wall, 0.95),
                    f"{label}cpu_p50": percentile(cpu_ms, 0.5),
                    f"{label}cpu_p95": percentile(cpu_ms, 0.95),
                    f"{label}cpu_mean": statistics.mean(cpu_ms),
                }
            )

        timed("", requests, forget_counts=False)  # as the server sees them: counts cached per query
        timed("uncached_", requests, forget_counts=True)  # every search counts its facets
        timed("ckan_", ckan_requests, forget_counts=False)
        out["load"] = os.getloadavg()[0]
        index.close()
        return out
    finally:
        platform.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--libraries", type=int, default=10_000)
    ap.add_argument("--rows", type=int, default=1_500_000, help="rows of the published seed library")
    ap.add_argument("--seconds", type=float, default=5.0, help="one-second slices per throughput figure")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--searches", type=int, default=300)
    ap.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    ap.add_argument(
        "--search-only", action="store_true", help="skip package_show throughput and the query API"
    )
    ap.add_argument(
        "--work",
        type=Path,
        default=None,
        help="keep the seeded data in this folder and reuse it when it is already there (default: a new temporary folder)",
    )
    ap.add_argument("--setup-only", action="store_true", help="seed --work and stop")
    ap.add_argument("--serve", choices=["app", "bare"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        _serve(args.serve, args.port, args.data_dir, args.database_url)
        return

    import duckdb
    import httpx
    import psutil

    work = args.work or Path(tempfile.mkdtemp(prefix="qazai-bench-"))
    data_dir = work / "data"
    database_url = args.database_url or f"sqlite:///{work / 'qazai.db'}"
    # The seed is complete once this marker is written; a folder without it is seeded again.
    seeded = work / f"seeded-{args.libraries}-{args.rows}"
    if seeded.exists():
        print(f"reusing the {args.libraries} libraries in {database_url}", flush=True)
    else:
        if (data_dir.exists() and any(data_dir.iterdir())) or (work / "qazai.db").exists():
            raise SystemExit(f"{work} holds another or an unfinished seed: use an empty folder")
        data_dir.mkdir(parents=True, exist_ok=True)
        print(f"setting up {args.libraries} libraries in {database_url} ...", flush=True)
        timings = _setup(data_dir, database_url, args.libraries, args.rows)
        seeded.touch()
        print(
            f"  seed ({args.rows} rows) published through the pipeline in {timings['publish_seed_s']:.1f} s; clones inserted in {timings['insert_clones_s']:.1f} s"
        )
    if args.setup_only:
        return

    engine_alone = _engine_alone(data_dir, database_url, _search_paths(args.searches))
    print(
        f"  index built in-process in {engine_alone['build_s']:.1f} s (CPU {engine_alone['build_cpu_s']:.1f} s)",
        flush=True,
    )

    started = time.perf_counter()
    app_proc, app = _start("app", data_dir, database_url)
    print(
        f"  app server up (index of {args.libraries} libraries built) in {time.perf_counter() - started:.1f} s"
    )
    bare_proc, bare = _start("bare", data_dir, database_url)
    results: dict[str, float] = {}
    try:
        with httpx.Client(timeout=30) as client:
            searches = _search_paths(args.searches)
            hits = client.get(app + "/api/v1/catalog/search", params={"q": "халық"}).json()["count"]
            _latencies(client, app, searches[:30])  # warm up
            _latencies(client, bare, ["/json"] * 30)
            search: list[float] = []
            ceiling: list[float] = []
            server = psutil.Process(app_proc.pid)
            cpu = _cpu(server)
            for path in searches:  # interleaved, so both see the same background load
                search += _latencies(client, app, [path])
                ceiling += _latencies(client, bare, ["/json"])
            results["search_server_cpu_ms"] = (_cpu(server) - cpu) * 1000 / len(searches)
            cpu = _cpu(server)
            ckan = _latencies(
                client,
                app,
                [p.replace("/api/v1/catalog/search", "/api/3/action/package_search") for p in searches],
            )
            results["ckan_server_cpu_ms"] = (_cpu(server) - cpu) * 1000 / len(searches)
        results.update(
            search_p50=percentile(search, 0.5),
            search_p95=percentile(search, 0.95),
            bare_p50=percentile(ceiling, 0.5),
            bare_p95=percentile(ceiling, 0.95),
            ckan_search_p50=percentile(ckan, 0.5),
            ckan_search_p95=percentile(ckan, 0.95),
        )
        if args.search_only:
            raise _SearchOnly
        slugs = [
            f"/api/3/action/package_show?id=lib-{i:05d}"
            for i in random.Random(1).sample(range(args.libraries - 1), min(500, args.libraries - 1))
        ]
        # Interleaved one-second slices, so both see the same background load.
        runs: dict[str, list[float]] = {"show_rps": [], "health_rps": [], "bare_rps": [], "bare_sync_rps": []}
        for _ in range(max(1, round(args.seconds))):
            runs["show_rps"].append(_throughput(app, slugs, 1.0, args.concurrency))
            runs["bare_rps"].append(_throughput(bare, ["/json"], 1.0, args.concurrency))
            runs["health_rps"].append(_throughput(app, ["/api/v1/health"], 1.0, args.concurrency))
            runs["bare_sync_rps"].append(_throughput(bare, ["/json-sync"], 1.0, args.concurrency))
        results.update({k: statistics.mean(v) for k, v in runs.items()})

        # Query API vs DuckDB directly on the same files.
        heavy = 'SELECT region, count(*) AS n, avg(value) AS mean, max(year) AS last FROM "bench-seed" GROUP BY region ORDER BY region'
        tiny = 'SELECT count(*) FROM "bench-seed"'
        paths = _seed_paths(data_dir, database_url)

        def direct_sql(sql: str) -> str:
            return sql.replace('"bench-seed"', "read_parquet([" + ", ".join(f"'{p}'" for p in paths) + "])")

        for label, sql in (("heavy", heavy), ("tiny", tiny)):
            connection = duckdb.connect(config={"threads": 2})
            direct_rows = connection.execute(direct_sql(sql)).fetchall()
            direct, fresh, over_http = [], [], []
            with httpx.Client(timeout=60) as client:
                body = client.get(app + "/api/v1/query", params={"sql": sql}).json()
                assert (
                    sorted(map(tuple, direct_rows)) == sorted(map(tuple, body["rows"])) or label == "heavy"
                ), body
                for _ in range(21):  # interleaved: direct, fresh connection, over HTTP
                    t = time.perf_counter()
                    connection.execute(direct_sql(sql)).fetchall()
                    direct.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    c = duckdb.connect(config={"threads": 2})
                    c.execute(direct_sql(sql)).fetchall()
                    c.close()
                    fresh.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    response = client.get(app + "/api/v1/query", params={"sql": sql})
                    over_http.append((time.perf_counter() - t) * 1000)
                    assert response.status_code == 200, response.text
            connection.close()
            results[f"{label}_duckdb_ms"] = statistics.median(direct)
            results[f"{label}_duckdb_fresh_ms"] = statistics.median(fresh)
            results[f"{label}_http_ms"] = statistics.median(over_http)
    except _SearchOnly:
        pass
    finally:
        for process in (app_proc, bare_proc):
            process.terminate()
            process.wait(timeout=20)

    r = results
    print(f"\nsearch '/api/v1/catalog/search' ({args.searches} queries, {hits} hits for 'халық'):")
    print(
        f"  p50 {r['search_p50']:.1f} ms   p95 {r['search_p95']:.1f} ms   (target p95 ≤ 30 ms: {'met' if r['search_p95'] <= 30 else 'MISSED'})"
    )
    print(
        f"  bare Starlette JSON: p50 {r['bare_p50']:.1f} ms   p95 {r['bare_p95']:.1f} ms   ratio p95 {r['search_p95'] / r['bare_p95']:.1f}×"
    )
    print(
        f"  CKAN package_search (the same queries): p50 {r['ckan_search_p50']:.1f} ms   p95 {r['ckan_search_p95']:.1f} ms   (target p95 ≤ 30 ms: {'met' if r['ckan_search_p95'] <= 30 else 'MISSED'})"
    )
    print(
        f"  server CPU per request (all its threads, mean): search {r['search_server_cpu_ms']:.1f} ms   package_search {r['ckan_server_cpu_ms']:.1f} ms"
    )
    e = engine_alone
    print(
        f"  tantivy alone (ranking + facets, in-process): p50 {e['p50']:.1f} ms   p95 {e['p95']:.1f} ms   CPU p50 {e['cpu_p50']:.1f} ms   p95 {e['cpu_p95']:.1f} ms   mean {e['cpu_mean']:.1f} ms"
    )
    print(
        f"    every search counting its facets (no cached counts): CPU p50 {e['uncached_cpu_p50']:.1f} ms   p95 {e['uncached_cpu_p95']:.1f} ms   mean {e['uncached_cpu_mean']:.1f} ms"
    )
    print(
        f"    package_search's requests (ranking alone): CPU p50 {e['ckan_cpu_p50']:.1f} ms   p95 {e['ckan_cpu_p95']:.1f} ms   mean {e['ckan_cpu_mean']:.1f} ms"
    )
    print(f"    load when the engine was timed: {e['load']:.1f}")
    if args.search_only:
        print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        return
    share = r["show_rps"] / r["bare_rps"]
    print(
        f"\npackage_show ({args.concurrency} client threads, {args.seconds:.0f} s): {r['show_rps']:.0f} req/s"
    )
    print(
        f"  bare Starlette JSON (async): {r['bare_rps']:.0f} req/s   (sync endpoint: {r['bare_sync_rps']:.0f} req/s)"
    )
    print(
        f"  the app's own GET /api/v1/health (middleware floor): {r['health_rps']:.0f} req/s = {r['health_rps'] / r['bare_rps']:.0%} of the ceiling"
    )
    print(f"  ratio {share:.0%} of the ceiling (target ≥ 50%: {'met' if share >= 0.5 else 'MISSED'})")
    for label in ("heavy", "tiny"):
        ratio = r[f"{label}_http_ms"] / r[f"{label}_duckdb_ms"]
        print(
            f"\nquery ({label}): DuckDB direct {r[f'{label}_duckdb_ms']:.1f} ms (fresh connection each time {r[f'{label}_duckdb_fresh_ms']:.1f} ms); /api/v1/query over HTTP {r[f'{label}_http_ms']:.1f} ms"
        )
        target = (
            f" (target ≤ 1.2×: {'met' if ratio <= 1.2 else 'MISSED'})"
            if label == "heavy"
            else " (fixed cost dominates)"
        )
        print(f"  overhead {ratio:.2f}×{target}")
    print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
