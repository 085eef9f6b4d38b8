"""labels of synthetic content, certificates (issue 15)

Reserved in the chain so that the capabilities built side by side keep one linear history; the
package that owns this revision fills in its tables.

Revision ID: 0009_labels
Revises: 0008_models
Create Date: 2026-12-03 06:20:00
"""

from collections.abc import Sequence


revision: str = '0009_labels'
down_revision: str | None = '0008_models'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
