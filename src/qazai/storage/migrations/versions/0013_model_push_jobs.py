"""model versions finished by a background job (issue 14)

Reserved in the chain so that the capabilities built side by side keep one linear history; the
package that owns this revision fills in its tables.

Revision ID: 0013_model_push_jobs
Revises: 0012_synthetic_content
Create Date: 2026-12-03 07:45:00
"""

from collections.abc import Sequence


revision: str = '0013_model_push_jobs'
down_revision: str | None = '0012_synthetic_content'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
