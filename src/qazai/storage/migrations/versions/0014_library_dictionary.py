"""library metadata: data dictionary, view and download counts (issue 17)

Reserved in the chain so that the work built side by side keeps one linear history; the package
that owns this revision fills in its tables.

Revision ID: 0014_library_dictionary
Revises: 0013_model_push_jobs
Create Date: 2026-12-03 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_library_dictionary'
down_revision: str | None = '0013_model_push_jobs'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The data dictionary needs no table: it is a field of the library's `details` document.
    op.create_table('library_usage',
    sa.Column('library_id', sa.String(length=26), nullable=False),
    sa.Column('views', sa.BigInteger(), nullable=False),
    sa.Column('downloads', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], name=op.f('fk_library_usage_library_id_libraries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('library_id', name=op.f('pk_library_usage'))
    )


def downgrade() -> None:
    op.drop_table('library_usage')
