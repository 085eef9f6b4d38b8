"""Fixtures and hooks of the compute tests."""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slurm`` share one xdist worker (``--dist loadgroup``): the test cluster has a
    few CPUs, and parallel workers would leave each other's jobs pending past their timeouts."""
    for item in items:
        if item.get_closest_marker("slurm") is not None:
            item.add_marker(pytest.mark.xdist_group("slurm"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked ``slurm`` runs only where a Slurm cluster answers; elsewhere it is skipped with
    the reason (and fails on CI, where ``QAZAI_TEST_SLURM_REQUIRED=1``): tests/compute/slurm_cluster.py."""
    if item.get_closest_marker("slurm") is not None:
        from tests.compute.slurm_cluster import require_cluster

        require_cluster()
