"""All tables, on one metadata object (what Alembic compares against).

One module per capability. Importing one of them (``qazai.storage.tables.libraries``) registers its
own tables and no other capability's: `qazai query` reads the libraries' tables without building
every capability's (~0.25 s of CPU). Whatever needs every table takes ``Base`` from this package
(``from qazai.storage.tables import Base``, as Alembic's env, the migration checks and the table-wide
scans do) or calls ``register_all()``, which imports every module first; a unit of work that may
write does too (``Database.uow``), so an ORM flush always sees every foreign key's table.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qazai.storage.tables.base import Base

MODULES = (
    "airlock",
    "audit",
    "compute",
    "identity",
    "jobs",
    "labels",
    "libraries",
    "model_pushes",
    "models",
    "registry",
)

__all__ = ["MODULES", "Base", "register_all"]


def register_all() -> type[Base]:
    """Import every capability's tables (once; later calls cost a dictionary lookup each) and
    return ``Base``, whose metadata then holds every table."""
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
    from qazai.storage.tables.base import Base

    return Base


def __getattr__(name: str) -> Any:
    if name == "Base":
        return register_all()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
