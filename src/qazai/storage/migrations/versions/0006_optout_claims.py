"""authors' opt-outs as claims: claimant, evidence, state, dispute and decision

Works registered before this revision keep ``state`` 'active' (they were in force) and have no
claimant or evidence; new registrations must give both.

Revision ID: 0006_optout_claims
Revises: 0005_audit_hmac_sign_in_throttle
Create Date: 2026-12-02 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006_optout_claims'
down_revision: str | None = '0005_audit_hmac_sign_in_throttle'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('optout_works', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('claimant', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('claimant_contact', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('evidence', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('dispute_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('disputed_by', sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column('decided_by', sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column('decision_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('optout_works', schema=None) as batch_op:
        for column in (
            'decided_at', 'decision_reason', 'decided_by', 'disputed_by', 'dispute_reason',
            'evidence', 'claimant_contact', 'claimant', 'state',
        ):
            batch_op.drop_column(column)
