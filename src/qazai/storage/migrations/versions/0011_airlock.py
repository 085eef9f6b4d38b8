"""the airlock: held output files of compute jobs, disclosure findings, reviews, releases (issue 13)

Reserved in the chain so that the capabilities built side by side keep one linear history; the
package that owns this revision fills in its tables.

Revision ID: 0011_airlock
Revises: 0010_registry_second_pass
Create Date: 2026-12-03 06:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011_airlock'
down_revision: str | None = '0010_registry_second_pass'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'airlock_files',
        sa.Column('id', sa.String(length=26), nullable=False),
        sa.Column('job_id', sa.String(length=26), nullable=False),
        sa.Column('project_id', sa.String(length=26), nullable=False),
        sa.Column('organisation_id', sa.String(length=26), nullable=False),
        sa.Column('requested_by', sa.String(length=26), nullable=True),
        sa.Column('name', sa.String(length=1024), nullable=False),
        sa.Column('object_key', sa.String(length=1024), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('table_kind', sa.String(length=16), nullable=True),
        sa.Column('findings', sa.JSON(), nullable=False),
        sa.Column('cells', sa.Integer(), nullable=False),
        sa.Column('suppressed', sa.Integer(), nullable=False),
        sa.Column('secondary', sa.Integer(), nullable=False),
        sa.Column('safe_object_key', sa.String(length=1024), nullable=True),
        sa.Column('safe_size', sa.BigInteger(), nullable=True),
        sa.Column('safe_sha256', sa.String(length=64), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('released_variant', sa.String(length=16), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['organisation_id'], ['organisations.id'],
            name=op.f('fk_airlock_files_organisation_id_organisations'), ondelete='RESTRICT',
        ),
        sa.ForeignKeyConstraint(
            ['requested_by'], ['users.id'], name=op.f('fk_airlock_files_requested_by_users'), ondelete='SET NULL'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_airlock_files')),
        sa.UniqueConstraint('job_id', 'name', name=op.f('uq_airlock_files_job_id_name')),
    )
    with op.batch_alter_table('airlock_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_airlock_files_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_airlock_files_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_airlock_files_state_created_at', ['state', 'created_at'], unique=False)

    op.create_table(
        'airlock_reviews',
        sa.Column('id', sa.String(length=26), nullable=False),
        sa.Column('file_id', sa.String(length=26), nullable=False),
        sa.Column('reviewer_id', sa.String(length=26), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('variant', sa.String(length=16), nullable=True),
        sa.Column('justification', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['file_id'], ['airlock_files.id'], name=op.f('fk_airlock_reviews_file_id_airlock_files'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['reviewer_id'], ['users.id'], name=op.f('fk_airlock_reviews_reviewer_id_users'), ondelete='RESTRICT'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_airlock_reviews')),
        sa.UniqueConstraint('file_id', 'reviewer_id', name=op.f('uq_airlock_reviews_file_id_reviewer_id')),
    )
    with op.batch_alter_table('airlock_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_airlock_reviews_file_id'), ['file_id'], unique=False)


    op.create_table(
        'airlock_publication_consents',
        sa.Column('id', sa.String(length=26), nullable=False),
        sa.Column('file_id', sa.String(length=26), nullable=False),
        sa.Column('organisation_id', sa.String(length=26), nullable=False),
        sa.Column('user_id', sa.String(length=26), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['file_id'], ['airlock_files.id'],
            name=op.f('fk_airlock_publication_consents_file_id_airlock_files'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['organisation_id'], ['organisations.id'],
            name=op.f('fk_airlock_publication_consents_organisation_id_organisations'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_airlock_publication_consents_user_id_users'), ondelete='RESTRICT'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_airlock_publication_consents')),
        sa.UniqueConstraint(
            'file_id', 'organisation_id', name=op.f('uq_airlock_publication_consents_file_id_organisation_id')
        ),
    )
    with op.batch_alter_table('airlock_publication_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_airlock_publication_consents_file_id'), ['file_id'], unique=False)


def downgrade() -> None:
    op.drop_table('airlock_publication_consents')
    op.drop_table('airlock_reviews')
    op.drop_table('airlock_files')
