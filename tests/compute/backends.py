"""How the contract suite builds each backend for a test (``tests/compute/test_executor_contract.py``).

``local`` is built here; ``slurm`` is filled in by the Slurm executor's author: it must return an
executor whose runs live under ``root`` (a fresh folder per test, on a path the node shares) and
skip with a reason where no Slurm answers.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qazai.compute.executors.base import Executor


def local_executor(root: Path) -> Executor:
    from qazai.compute.executors.local import LocalExecutor, probe_sandbox

    sandbox = probe_sandbox()
    if not sandbox.works:
        pytest.skip(f"no sandbox for the local executor: {sandbox.reason}")
    return LocalExecutor(root, sandbox="bwrap")


def local_unconfined_executor(root: Path) -> Executor:
    """The local executor without a sandbox (a laptop without bwrap): the same contract, except
    that nothing keeps a run from writing its inputs (it never gets confidential ones)."""
    from qazai.compute.executors.local import LocalExecutor

    return LocalExecutor(root, sandbox="none")


def slurm_executor(root: Path) -> Executor:
    """A SlurmExecutor on the test cluster (tests/compute/slurm_cluster.py). Its runs live in a fresh
    folder of the cluster's shared job folder, not in ``root``: the node runs jobs as the cluster
    account, which cannot enter pytest's private temporary folders. Inputs are staged (copied),
    since the test's input files sit in those private folders too."""
    from tests.compute.slurm_cluster import require_cluster

    from qazai.compute.executors.slurm import SlurmExecutor
    from qazai.compute.executors.slurmrest import SignedToken, open_client

    cluster = require_cluster()
    client = open_client(
        "v0.0.38", cluster.rest_url, cluster.user, SignedToken(cluster.jwt_key_file, cluster.user)
    )
    return SlurmExecutor(
        client,
        cluster.fresh_folder(root.parent.name),
        user=cluster.user,
        partition=cluster.partition,
        inputs="stage",
        memory_enforced=cluster.memory_enforced,
    )


def build(name: str, root: Path) -> Executor:
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    builders = {
        "local": local_executor,
        "local-unconfined": local_unconfined_executor,
        "slurm": slurm_executor,
    }
    return builders[name](root)
