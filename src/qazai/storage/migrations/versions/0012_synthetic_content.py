"""AI systems declare whether they produce synthetic content (issue 15)

Reserved in the chain so that the capabilities built side by side keep one linear history; the
package that owns this revision fills in its tables.

Revision ID: 0012_synthetic_content
Revises: 0011_airlock
Create Date: 2026-12-03 07:45:00
"""

from collections.abc import Sequence


revision: str = '0012_synthetic_content'
down_revision: str | None = '0011_airlock'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
