"""Where the `slurm` tests find a real Slurm cluster, and why they are skipped when there is none.

``.ci/slurm-up.sh`` starts a single-node cluster and writes how to reach it to
``/run/qazai-slurm/env``; ``.ci/run`` exports those ``QAZAI_TEST_SLURM_*`` variables and
``QAZAI_TEST_SLURM_REQUIRED=1`` (then a cluster that does not answer fails the tests instead of
skipping them). On a laptop without Slurm every test marked ``slurm`` is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ENV_FILE = Path(os.environ.get("QAZAI_TEST_SLURM_ENV_FILE", "/run/qazai-slurm/env"))
START_HINT = "start one with `.ci/slurm-up.sh` (as root)"


@dataclass(frozen=True)
class TestCluster:
    __test__ = False  # not a test class, whatever its name

    rest_url: str
    user: str
    jwt_key_file: Path
    shared_dir: Path
    partition: str | None
    python: str | None  # the nodes' job environment (polars, pyarrow, ...), when slurm-up built it
    memory_enforced: bool  # Slurm confines job memory (task/cgroup)

    def fresh_folder(self, hint: str) -> Path:
        """A new folder under the shared job folder (the node runs jobs as ``user``, who must reach it)."""
        folder = self.shared_dir / f"test-{hint[:40]}-{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        folder.chmod(0o755)
        return folder


def _variables() -> dict[str, str]:
    found = {k: v for k, v in os.environ.items() if k.startswith("QAZAI_TEST_SLURM_")}
    if "QAZAI_TEST_SLURM_REST_URL" not in found and ENV_FILE.is_file():
        for line in ENV_FILE.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.startswith("QAZAI_TEST_SLURM_"):
                found.setdefault(key.strip(), value.strip())
    return found


@functools.cache
def find_cluster() -> TestCluster | str:
    """The cluster to test against, or the reason there is none (computed once per process)."""
    from qazai.compute.executors.slurmrest import SignedToken, SlurmRefused, SlurmUnreachable, open_client
    from qazai.core.errors import ConfigError

    found = _variables()
    if "QAZAI_TEST_SLURM_REST_URL" not in found:
        where = f"{ENV_FILE} does not set it" if ENV_FILE.is_file() else f"{ENV_FILE} is missing"
        return (
            f"no Slurm cluster: QAZAI_TEST_SLURM_REST_URL is not in the environment and {where}; {START_HINT}"
        )
    try:
        cluster = TestCluster(
            rest_url=found["QAZAI_TEST_SLURM_REST_URL"],
            user=found.get("QAZAI_TEST_SLURM_USER", "qazai"),
            jwt_key_file=Path(found["QAZAI_TEST_SLURM_JWT_KEY_FILE"]),
            shared_dir=Path(found["QAZAI_TEST_SLURM_SHARED_DIR"]),
            partition=found.get("QAZAI_TEST_SLURM_PARTITION") or None,
            python=found.get("QAZAI_TEST_SLURM_PYTHON") or None,
            memory_enforced=found.get("QAZAI_TEST_SLURM_MEMORY_ENFORCED") == "1",
        )
    except KeyError as missing:
        return f"no Slurm cluster: {missing.args[0]} is not set; {START_HINT}"
    try:
        client = open_client(
            "v0.0.38", cluster.rest_url, cluster.user, SignedToken(cluster.jwt_key_file, cluster.user), 5.0
        )
    except ConfigError as exc:
        return f"no Slurm cluster: {exc.message}"
    try:
        client.ping()
    except (SlurmUnreachable, SlurmRefused) as exc:
        return f"no Slurm cluster answering: {exc.message}; {START_HINT}"
    finally:
        client.close()
    if not cluster.shared_dir.is_dir():
        return f"no Slurm cluster: the shared job folder {cluster.shared_dir} does not exist"
    _remove_old_test_folders(cluster.shared_dir)
    return cluster


def _remove_old_test_folders(shared_dir: Path, older_than_seconds: float = 3600) -> None:
    """Earlier test runs' folders (the contract suite's builder has no teardown of its own)."""
    for folder in shared_dir.glob("test-*"):
        with contextlib.suppress(OSError):
            if time.time() - folder.stat().st_mtime > older_than_seconds:
                shutil.rmtree(folder, ignore_errors=True)


def require_cluster() -> TestCluster:
    """The cluster, or skip (fail on CI, where ``QAZAI_TEST_SLURM_REQUIRED=1``) with the reason."""
    found = find_cluster()
    if isinstance(found, TestCluster):
        return found
    if os.environ.get("QAZAI_TEST_SLURM_REQUIRED") == "1":
        pytest.fail(f"QAZAI_TEST_SLURM_REQUIRED=1 but {found}")
    pytest.skip(found)
