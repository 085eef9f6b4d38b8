"""All tables, on one metadata object (what Alembic compares against).

One module per capability; importing this package registers every table.
"""

from qazai.storage.tables import (  # noqa: F401 - registers the tables
    airlock,
    audit,
    compute,
    identity,
    jobs,
    labels,
    libraries,
    model_pushes,
    models,
    registry,
)
from qazai.storage.tables.base import Base

__all__ = ["Base"]
