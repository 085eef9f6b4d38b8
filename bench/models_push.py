"""A model push answered before the files are copied: the time of the push request (accepted,
202) beside the time of its job (scan, copy into the content-addressed store, hash, publish),
and a plain `shutil.copyfile` of the same bytes measured in the same run as the reference.

    .venv/bin/python bench/models_push.py [--size-mib 512]

1. A real SQLite platform in a temporary folder, an organisation and an open repository.
2. A safetensors file of ``--size-mib`` MiB (random float32) and a config.json, uploaded through
   the models service (the libraries' resumable uploads).
3. ``start_model_push`` (what `POST .../versions` runs) timed, then the `models.push` job run by
   a real worker of the durable queue, timed; then the copy of the upload's bytes as reference.

Figures printed: the request's time, the job's time, the job's throughput against the plain copy
(ratio), and the request's time as a share of the job's.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import bench_settings, create_stat_gov  # noqa: E402
from hf_download import MIB, _write_safetensors  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=512)
    args = parser.parse_args()

    from tests.models.factory import create_repo, full_card

    from qazai.api.wiring import build_platform, job_handlers
    from qazai.identity.actor import SYSTEM
    from qazai.models import service
    from qazai.models.models import VersionPush
    from qazai.storage.jobs import Worker
    from qazai.storage.migrate import upgrade_database

    with tempfile.TemporaryDirectory(prefix="qazai-push-bench-") as tmp:
        work = Path(tmp)
        database_url = f"sqlite:///{work / 'qazai.db'}"
        upgrade_database(database_url)
        platform = build_platform(
            bench_settings(work / "data", database_url, base_url=None), start_workers=False
        )
        try:
            create_stat_gov(platform, "Stat")
            repo_id = create_repo(platform, "big-model")
            model = work / "model"
            model.mkdir()
            (model / "config.json").write_text('{"model_type": "bench"}', encoding="utf-8")
            _write_safetensors(model / "model.safetensors", args.size_mib)
            files = [(p.name, p) for p in sorted(model.iterdir())]
            sources = service.upload_model_files(
                platform.db, platform.objects, SYSTEM, repo_id, files, max_bytes=1 << 40, retention_days=1
            )
            size = sum(p.stat().st_size for _, p in files)
            started = time.perf_counter()
            accepted = service.start_model_push(
                platform.db, SYSTEM, repo_id, VersionPush(tag="v1", card=full_card(), files=sources)
            )
            request_s = time.perf_counter() - started
            worker = Worker(platform.db, job_handlers(platform), lease_seconds=600)
            started = time.perf_counter()
            job = worker.run_once()
            job_s = time.perf_counter() - started
            assert job is not None and job.id == accepted.job_id
            with platform.db.uow(read_only=True) as uow:
                outcome = service.get_model_push(uow, SYSTEM, repo_id, accepted.push_id)
            assert outcome.state.value == "published", outcome.error
            # reference: the same bytes copied by the file system (a fresh upload, same size)
            source = model / "model.safetensors"
            started = time.perf_counter()
            shutil.copyfile(source, work / "copy.bin")
            copy_s = time.perf_counter() - started
        finally:
            platform.db.dispose()
    mib = size / MIB
    print(f"model of {mib:.0f} MiB (safetensors + config.json), SQLite, local object store")
    print(f"push request (accepted, 202): {request_s * 1000:8.1f} ms")
    print(f"push job (scan, copy, hash, publish): {job_s:8.2f} s  = {mib / job_s:7.1f} MiB/s")
    print(f"reference shutil.copyfile:            {copy_s:8.2f} s  = {mib / copy_s:7.1f} MiB/s")
    print(f"job throughput / plain copy: {copy_s / job_s:.2f}; request / job: {request_s / job_s:.4f}")


if __name__ == "__main__":
    main()
