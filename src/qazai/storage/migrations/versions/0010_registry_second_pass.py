"""registry second pass: pending revisions, complaint receipts, trusted lists (issue 16)

Reserved in the chain so that the capabilities built side by side keep one linear history; the
package that owns this revision fills in its tables.

Revision ID: 0010_registry_second_pass
Revises: 0009_labels
Create Date: 2026-12-03 06:20:00
"""

from collections.abc import Sequence


revision: str = '0010_registry_second_pass'
down_revision: str | None = '0009_labels'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
