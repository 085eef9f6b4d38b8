"""All tables, on one metadata object (what Alembic compares against).

One module per capability; importing this package registers every table.
"""

from qazai.storage.tables import airlock, audit, compute, identity, jobs, labels, libraries, model_pushes, models, registry  # noqa: F401 - registers the tables
from qazai.storage.tables.base import Base

__all__ = ["Base"]
