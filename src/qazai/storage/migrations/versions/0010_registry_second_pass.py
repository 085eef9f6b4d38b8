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


    with op.batch_alter_table('ai_system_complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('access_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=2), server_default='kk', nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_ai_system_complaints_reference'), ['reference'])
    op.create_table(
        'registry_outbox',
        sa.Column('id', sa.String(length=26), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('to_address', sa.String(length=320), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('secret', sa.String(length=64), nullable=True),
        sa.Column('complaint_id', sa.String(length=26), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['complaint_id'], ['ai_system_complaints.id'],
            name=op.f('fk_registry_outbox_complaint_id_ai_system_complaints'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_outbox')),
    )
    with op.batch_alter_table('registry_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_registry_outbox_state_created_at', ['state', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_registry_outbox_complaint_id'), ['complaint_id'], unique=False)


def downgrade() -> None:
    op.drop_table('registry_outbox')
    with op.batch_alter_table('ai_system_complaints', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_ai_system_complaints_reference'), type_='unique')
        for column in ('language', 'access_code_hash', 'reference'):
            batch_op.drop_column(column)
    op.drop_table('ai_system_revisions')
