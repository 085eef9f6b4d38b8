"""Executors: one Protocol (``base.py``), one module per backend, chosen by ``compute_backend``.

A backend module exposes ``build(settings) -> Executor``; it is imported only when chosen, so
the platform runs without a backend's client libraries installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, cast

from qazai.compute.executors.base import Executor
from qazai.core.errors import ConfigError

if TYPE_CHECKING:
    from qazai.config import Settings

BACKENDS: dict[str, str] = {
    "local": "qazai.compute.executors.local",
    "slurm": "qazai.compute.executors.slurm",
}


def build_executor(settings: Settings) -> Executor:
    """The executor named by ``settings.compute_backend``; ConfigError for an unknown name."""
    name = settings.compute_backend
    if name not in BACKENDS:
        raise ConfigError(
            f"unknown compute backend {name!r}; choose one of: {', '.join(sorted(BACKENDS))}",
            code="compute_backend_unknown",
        )
    module = importlib.import_module(BACKENDS[name])
    return cast(Executor, module.build(settings))
