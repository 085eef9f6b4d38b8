"""users.language may be unset: a new user starts with the browser language (issue 17)

Reserved in the chain so that the work built side by side keeps one linear history; the package
that owns this revision fills in its tables.

Revision ID: 0016_user_language_unset
Revises: 0015_portal_notices
Create Date: 2026-12-03 10:30:00
"""

from collections.abc import Sequence

revision: str = '0016_user_language_unset'
down_revision: str | None = '0015_portal_notices'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
