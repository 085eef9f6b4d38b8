"""the airlock: held output files of compute jobs, disclosure findings, reviews, releases (issue 13)

Reserved in the chain so that the capabilities built side by side keep one linear history; the
package that owns this revision fills in its tables.

Revision ID: 0011_airlock
Revises: 0010_registry_second_pass
Create Date: 2026-12-03 06:25:00
"""

from collections.abc import Sequence


revision: str = '0011_airlock'
down_revision: str | None = '0010_registry_second_pass'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
