"""AI systems declare whether they produce synthetic content (issue 15)

``ai_systems.produces_synthetic_content``: the owner's answer to the registration wizard's question
(Law on AI Art. 21). Existing records get the answer their type implied until now: true for a
generative system, false for any other.

Revision ID: 0012_synthetic_content
Revises: 0011_airlock
Create Date: 2026-12-03 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_synthetic_content'
down_revision: str | None = '0011_airlock'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ai_systems', schema=None) as batch_op:
        batch_op.add_column(sa.Column('produces_synthetic_content', sa.Boolean(), nullable=True))
    systems = sa.table(
        'ai_systems', sa.column('system_type', sa.String), sa.column('produces_synthetic_content', sa.Boolean)
    )
    op.execute(systems.update().values(produces_synthetic_content=systems.c.system_type == 'generative'))
    with op.batch_alter_table('ai_systems', schema=None) as batch_op:
        batch_op.alter_column('produces_synthetic_content', existing_type=sa.Boolean(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('ai_systems', schema=None) as batch_op:
        batch_op.drop_column('produces_synthetic_content')
