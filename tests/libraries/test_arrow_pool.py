"""Publish jobs run on jemalloc with freed pages returned at once (lower peak RSS, same speed:
bench/publish_speed.py); a pyarrow without jemalloc keeps its default pool."""

from __future__ import annotations

import pyarrow as pa

from qazai.libraries.pipeline.run import arrow_memory_pool


def _has_jemalloc() -> bool:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        return False
    return True


def test_the_pool_is_chosen_once_and_is_the_default() -> None:
    name = arrow_memory_pool()
    assert name == pa.default_memory_pool().backend_name
    assert name == ("jemalloc" if _has_jemalloc() else name)
    assert arrow_memory_pool() == name  # once per process
    # buffers made now come from it and are usable as ever
    array = pa.array(range(100_000))
    assert array.sum().as_py() == sum(range(100_000))
