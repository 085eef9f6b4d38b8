"""libraries.updated_at indexed: the catalogue's re-check reads max(updated_at) (issue 18)

Every process re-checks the libraries' fingerprint in the background (``catalog/indexer.py``);
without an index ``max(updated_at)`` reads every library row (~46 ms at 100,000 on SQLite), with
it the index's last entry (and the row count can come from that narrow index too).

Revision ID: 0015_libraries_updated_at
Revises: 0014_library_dictionary
Create Date: 2026-12-03 16:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0015_libraries_updated_at'
down_revision: str | None = '0014_library_dictionary'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f('ix_libraries_updated_at'), 'libraries', ['updated_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_libraries_updated_at'), table_name='libraries')
