"""audit chain version (HMAC cut-over) and sign-in failures (throttle)

Existing audit rows keep their plain SHA-256 hashes and get ``chain_version`` 1; the platform
writes version 2 (HMAC-SHA256 keyed from the platform secret) from now on, and verification
accepts version-1 rows only as the chain's prefix. A migration cannot re-key old rows: it does
not know the secret, which is the point.

Revision ID: 0005_audit_hmac_sign_in_throttle
Revises: 0004_registry
Create Date: 2026-12-02 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005_audit_hmac_sign_in_throttle'
down_revision: str | None = '0004_registry'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_version', sa.SmallInteger(), server_default='1', nullable=False))

    op.create_table('sign_in_failures',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures'))
    )
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_failures_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failures_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failures_client'), ['client'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_client'))
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_at'))
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_account'))

    op.drop_table('sign_in_failures')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('chain_version')
