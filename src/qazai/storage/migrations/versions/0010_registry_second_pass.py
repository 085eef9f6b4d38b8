"""registry second pass: pending revisions, complaint receipts, trusted lists (issue 16)

Reserved in the chain so that the capabilities built side by side keep one linear history; the
package that owns this revision fills in its tables.

Revision ID: 0010_registry_second_pass
Revises: 0009_labels
Create Date: 2026-12-03 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_registry_second_pass'
down_revision: str | None = '0009_labels'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'ai_system_revisions',
        sa.Column('id', sa.String(length=26), nullable=False),
        sa.Column('system_id', sa.String(length=26), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('before', sa.JSON(), nullable=False),
        sa.Column('proposed_by', sa.String(length=26), nullable=True),
        sa.Column('proposed_by_label', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by', sa.String(length=26), nullable=True),
        sa.Column('decided_by_label', sa.String(length=255), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ['system_id'], ['ai_systems.id'], name=op.f('fk_ai_system_revisions_system_id_ai_systems'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_system_revisions')),
    )
    with op.batch_alter_table('ai_system_revisions', schema=None) as batch_op:
        batch_op.create_index('ix_ai_system_revisions_state_created_at', ['state', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ai_system_revisions_system_id'), ['system_id'], unique=False)


def downgrade() -> None:
    op.drop_table('ai_system_revisions')
