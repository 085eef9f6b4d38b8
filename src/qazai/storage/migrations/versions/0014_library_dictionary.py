"""library metadata: data dictionary, view and download counts (issue 17)

Reserved in the chain so that the work built side by side keeps one linear history; the package
that owns this revision fills in its tables.

Revision ID: 0014_library_dictionary
Revises: 0013_model_push_jobs
Create Date: 2026-12-03 10:30:00
"""

from collections.abc import Sequence

revision: str = '0014_library_dictionary'
down_revision: str | None = '0013_model_push_jobs'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
