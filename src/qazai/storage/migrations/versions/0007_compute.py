"""compute projects, members, inputs, jobs, held outputs, quotas; grant kinds (issue 13)

Grants made before this revision are ``download`` grants (what they allowed); enclave libraries
take ``compute_only`` grants from now on.

Revision ID: 0007_compute
Revises: 0006_optout_claims
Create Date: 2026-12-03 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007_compute'
down_revision: str | None = '0006_optout_claims'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('compute_quotas',
    sa.Column('organisation_id', sa.String(length=26), nullable=False),
    sa.Column('cpu_seconds_per_period', sa.BigInteger(), nullable=False),
    sa.Column('period_days', sa.Integer(), nullable=False),
    sa.Column('concurrent_jobs', sa.Integer(), nullable=False),
    sa.Column('output_bytes', sa.BigInteger(), nullable=False),
    sa.Column('updated_by', sa.String(length=26), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_compute_quotas_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_compute_quotas'))
    )
    op.create_table('compute_projects',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('organisation_id', sa.String(length=26), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('system_id', sa.String(length=26), nullable=True),
    sa.Column('pilot_id', sa.String(length=26), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=26), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_compute_projects_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['pilot_id'], ['ai_system_pilots.id'], name=op.f('fk_compute_projects_pilot_id_ai_system_pilots')),
    sa.ForeignKeyConstraint(['system_id'], ['ai_systems.id'], name=op.f('fk_compute_projects_system_id_ai_systems')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_projects')),
    sa.UniqueConstraint('slug', name=op.f('uq_compute_projects_slug'))
    )
    op.create_index(op.f('ix_compute_projects_organisation_id'), 'compute_projects', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_compute_projects_pilot_id'), 'compute_projects', ['pilot_id'], unique=False)
    op.create_index(op.f('ix_compute_projects_system_id'), 'compute_projects', ['system_id'], unique=False)
    op.create_table('compute_jobs',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('project_id', sa.String(length=26), nullable=False),
    sa.Column('organisation_id', sa.String(length=26), nullable=False),
    sa.Column('submitted_by', sa.String(length=26), nullable=True),
    sa.Column('script_name', sa.String(length=255), nullable=False),
    sa.Column('script_kind', sa.String(length=16), nullable=False),
    sa.Column('script_key', sa.String(length=1024), nullable=False),
    sa.Column('script_sha256', sa.String(length=64), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('limits', sa.JSON(), nullable=False),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('backend', sa.String(length=32), nullable=False),
    sa.Column('backend_ref', sa.String(length=1024), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('exit_code', sa.Integer(), nullable=True),
    sa.Column('cpu_seconds', sa.Float(), nullable=True),
    sa.Column('output_bytes', sa.BigInteger(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('log_key', sa.String(length=1024), nullable=True),
    sa.Column('log_bytes', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_compute_jobs_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['project_id'], ['compute_projects.id'], name=op.f('fk_compute_jobs_project_id_compute_projects')),
    sa.ForeignKeyConstraint(['submitted_by'], ['users.id'], name=op.f('fk_compute_jobs_submitted_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_jobs'))
    )
    op.create_index('ix_compute_jobs_organisation_id_state', 'compute_jobs', ['organisation_id', 'state'], unique=False)
    op.create_index(op.f('ix_compute_jobs_project_id'), 'compute_jobs', ['project_id'], unique=False)
    op.create_index('ix_compute_jobs_state_polled_at', 'compute_jobs', ['state', 'polled_at'], unique=False)
    op.create_table('compute_project_inputs',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('project_id', sa.String(length=26), nullable=False),
    sa.Column('library_id', sa.String(length=26), nullable=False),
    sa.Column('version_id', sa.String(length=26), nullable=False),
    sa.Column('grant_id', sa.String(length=26), nullable=True),
    sa.Column('added_by', sa.String(length=26), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['grant_id'], ['library_grants.id'], name=op.f('fk_compute_project_inputs_grant_id_library_grants')),
    sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], name=op.f('fk_compute_project_inputs_library_id_libraries')),
    sa.ForeignKeyConstraint(['project_id'], ['compute_projects.id'], name=op.f('fk_compute_project_inputs_project_id_compute_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['library_versions.id'], name=op.f('fk_compute_project_inputs_version_id_library_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_project_inputs')),
    sa.UniqueConstraint('project_id', 'version_id', name=op.f('uq_compute_project_inputs_project_id_version_id'))
    )
    op.create_index(op.f('ix_compute_project_inputs_library_id'), 'compute_project_inputs', ['library_id'], unique=False)
    op.create_index(op.f('ix_compute_project_inputs_project_id'), 'compute_project_inputs', ['project_id'], unique=False)
    op.create_index(op.f('ix_compute_project_inputs_version_id'), 'compute_project_inputs', ['version_id'], unique=False)
    op.create_table('compute_project_members',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('project_id', sa.String(length=26), nullable=False),
    sa.Column('user_id', sa.String(length=26), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('added_by', sa.String(length=26), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=26), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['compute_projects.id'], name=op.f('fk_compute_project_members_project_id_compute_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_compute_project_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_project_members')),
    sa.UniqueConstraint('project_id', 'user_id', name=op.f('uq_compute_project_members_project_id_user_id'))
    )
    op.create_index(op.f('ix_compute_project_members_project_id'), 'compute_project_members', ['project_id'], unique=False)
    op.create_index(op.f('ix_compute_project_members_user_id'), 'compute_project_members', ['user_id'], unique=False)
    op.create_table('compute_job_outputs',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('job_id', sa.String(length=26), nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('object_key', sa.String(length=1024), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['compute_jobs.id'], name=op.f('fk_compute_job_outputs_job_id_compute_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_job_outputs')),
    sa.UniqueConstraint('job_id', 'path', name=op.f('uq_compute_job_outputs_job_id_path'))
    )
    op.create_index(op.f('ix_compute_job_outputs_job_id'), 'compute_job_outputs', ['job_id'], unique=False)
    with op.batch_alter_table('library_grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='download', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('library_grants', schema=None) as batch_op:
        batch_op.drop_column('kind')
    op.drop_index(op.f('ix_compute_job_outputs_job_id'), table_name='compute_job_outputs')
    op.drop_table('compute_job_outputs')
    op.drop_index(op.f('ix_compute_project_members_user_id'), table_name='compute_project_members')
    op.drop_index(op.f('ix_compute_project_members_project_id'), table_name='compute_project_members')
    op.drop_table('compute_project_members')
    op.drop_index(op.f('ix_compute_project_inputs_version_id'), table_name='compute_project_inputs')
    op.drop_index(op.f('ix_compute_project_inputs_project_id'), table_name='compute_project_inputs')
    op.drop_index(op.f('ix_compute_project_inputs_library_id'), table_name='compute_project_inputs')
    op.drop_table('compute_project_inputs')
    op.drop_index('ix_compute_jobs_state_polled_at', table_name='compute_jobs')
    op.drop_index(op.f('ix_compute_jobs_project_id'), table_name='compute_jobs')
    op.drop_index('ix_compute_jobs_organisation_id_state', table_name='compute_jobs')
    op.drop_table('compute_jobs')
    op.drop_index(op.f('ix_compute_projects_system_id'), table_name='compute_projects')
    op.drop_index(op.f('ix_compute_projects_pilot_id'), table_name='compute_projects')
    op.drop_index(op.f('ix_compute_projects_organisation_id'), table_name='compute_projects')
    op.drop_table('compute_projects')
    op.drop_table('compute_quotas')
