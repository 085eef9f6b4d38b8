"""model versions finished by a background job (issue 14)

Reserved in the chain so that the capabilities built side by side keep one linear history; the
package that owns this revision fills in its tables.

Revision ID: 0013_model_push_jobs
Revises: 0012_synthetic_content
Create Date: 2026-12-03 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013_model_push_jobs'
down_revision: str | None = '0012_synthetic_content'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('model_pushes',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('repo_id', sa.String(length=26), nullable=False),
    sa.Column('tag', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('created_keys', sa.JSON(), nullable=False),
    sa.Column('job_id', sa.String(length=26), nullable=True),
    sa.Column('version_id', sa.String(length=26), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('actor_id', sa.String(length=26), nullable=True),
    sa.Column('actor_label', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['repo_id'], ['model_repos.id'], name=op.f('fk_model_pushes_repo_id_model_repos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_pushes'))
    )
    op.create_index(op.f('ix_model_pushes_repo_id'), 'model_pushes', ['repo_id'], unique=False)
    op.create_index(op.f('ix_model_pushes_state'), 'model_pushes', ['state'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_model_pushes_state'), table_name='model_pushes')
    op.drop_index(op.f('ix_model_pushes_repo_id'), table_name='model_pushes')
    op.drop_table('model_pushes')
