"""The settings' rules that need no pydantic: the environments, the refused placeholder secret and
the default database and object folder under ``data_dir``.

``config.Settings`` applies them; a one-off `qazai query` on these few settings applies the very
same functions without building ``Settings`` (``cli/query_fast.py``), whose import alone would
cost it a fifth of its time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

ENV_PREFIX = "QAZAI_"
PLACEHOLDER_SECRET = "change-me-insecure-dev-secret"  # noqa: S105 - the placeholder we refuse
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    demo = "demo"
    dev = "dev"
    test = "test"
    production = "production"


DEFAULT_ENVIRONMENT = Environment.dev
DEFAULT_DATA_DIR = Path(".qazai")
LAX_ENVIRONMENTS = frozenset({Environment.demo, Environment.dev, Environment.test})


def secret_key_problem(environment: Environment, secret: str) -> str | None:
    """Why ``secret`` may not sign anything in ``environment`` (None: it may)."""
    if environment in LAX_ENVIRONMENTS or (secret != PLACEHOLDER_SECRET and len(secret) >= MIN_SECRET_LENGTH):
        return None
    return (
        f"QAZAI_SECRET_KEY must be set to a random value of {MIN_SECRET_LENGTH}+ characters outside demo/dev "
        '(e.g. python -c "import secrets; print(secrets.token_urlsafe(48))")'
    )


def default_database_url(data_dir: Path) -> str:
    """A SQLite file under ``data_dir`` (the embedded default)."""
    return f"sqlite:///{(data_dir / 'qazai.db').resolve()}"


def default_object_store_url(data_dir: Path) -> str:
    """The object folder under ``data_dir``."""
    return str((data_dir / "objects").resolve())


@dataclass(frozen=True)
class QueryDefaults:
    """The query settings' defaults, named as ``Settings``' fields: ``Settings`` declares them
    with these values, and ``QueryLimits.of`` reads either (a one-off `qazai query` on default
    settings builds no ``Settings``)."""

    query_workers: int = 0  # 0: 2 per core, at most 8
    query_memory_bytes: int = 1024**3
    query_timeout_ms: int = 10_000
    query_kill_grace_ms: int = 2_000
    query_max_result_bytes: int = 64 * 1024**2
    query_max_per_caller: int = 2
    query_anonymous_per_minute: int = 60
    query_anonymous_burst: int = 20


QUERY_DEFAULTS = QueryDefaults()
