"""model repositories, versions, files, lineage (issue 14)

Repositories owned by organisations (``org/name``), immutable versions (a 40-hex revision plus a
tag) whose files are content-addressed in the object store, terms acceptances and grants (the
libraries' tiers), and lineage: model version <- library versions, AI system -> model versions.

Revision ID: 0008_models
Revises: 0007_compute
Create Date: 2026-12-03 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008_models'
down_revision: str | None = '0007_compute'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('model_repos',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('repo_id', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=96), nullable=False),
    sa.Column('title', sa.JSON(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('licence', sa.String(length=100), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('latest_version_id', sa.String(length=26), nullable=True),
    sa.Column('latest_revision', sa.String(length=40), nullable=True),
    sa.Column('latest_tag', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=26), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_model_repos_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_repos')),
    sa.UniqueConstraint('organisation_id', 'name', name=op.f('uq_model_repos_organisation_id_name')),
    sa.UniqueConstraint('repo_id', name=op.f('uq_model_repos_repo_id'))
    )
    with op.batch_alter_table('model_repos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_repos_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_repos_task'), ['task'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_repos_updated_at'), ['updated_at'], unique=False)

    op.create_table('model_grants',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('repo_id', sa.String(length=26), nullable=False),
    sa.Column('user_id', sa.String(length=26), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=26), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['repo_id'], ['model_repos.id'], name=op.f('fk_model_grants_repo_id_model_repos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_model_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_grants'))
    )
    with op.batch_alter_table('model_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_grants_repo_id'), ['repo_id'], unique=False)
        batch_op.create_index('ix_model_grants_repo_id_status', ['repo_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_grants_user_id'), ['user_id'], unique=False)

    op.create_table('model_terms_acceptances',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('repo_id', sa.String(length=26), nullable=False),
    sa.Column('user_id', sa.String(length=26), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['repo_id'], ['model_repos.id'], name=op.f('fk_model_terms_acceptances_repo_id_model_repos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_model_terms_acceptances_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_terms_acceptances')),
    sa.UniqueConstraint('repo_id', 'user_id', name=op.f('uq_model_terms_acceptances_repo_id_user_id'))
    )
    with op.batch_alter_table('model_terms_acceptances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_terms_acceptances_repo_id'), ['repo_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_terms_acceptances_user_id'), ['user_id'], unique=False)

    op.create_table('model_versions',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('repo_id', sa.String(length=26), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('revision', sa.String(length=40), nullable=False),
    sa.Column('tag', sa.String(length=64), nullable=False),
    sa.Column('parent_revision', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('card', sa.JSON(), nullable=False),
    sa.Column('total_size', sa.BigInteger(), nullable=False),
    sa.Column('file_count', sa.Integer(), nullable=False),
    sa.Column('trained_on_platform', sa.Boolean(), nullable=False),
    sa.Column('flag_reason', sa.Text(), nullable=True),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=26), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['repo_id'], ['model_repos.id'], name=op.f('fk_model_versions_repo_id_model_repos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_versions')),
    sa.UniqueConstraint('repo_id', 'revision', name=op.f('uq_model_versions_repo_id_revision')),
    sa.UniqueConstraint('repo_id', 'tag', name=op.f('uq_model_versions_repo_id_tag'))
    )
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_versions_repo_id'), ['repo_id'], unique=False)
        batch_op.create_index('ix_model_versions_repo_id_status', ['repo_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_versions_revision'), ['revision'], unique=False)

    op.create_table('ai_system_models',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('system_id', sa.String(length=26), nullable=False),
    sa.Column('model_version_id', sa.String(length=26), nullable=False),
    sa.Column('usage', sa.String(length=32), nullable=False),
    sa.Column('linked_by', sa.String(length=26), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_versions.id'], name=op.f('fk_ai_system_models_model_version_id_model_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['system_id'], ['ai_systems.id'], name=op.f('fk_ai_system_models_system_id_ai_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_system_models')),
    sa.UniqueConstraint('system_id', 'model_version_id', name=op.f('uq_ai_system_models_system_id_model_version_id'))
    )
    with op.batch_alter_table('ai_system_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ai_system_models_model_version_id'), ['model_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ai_system_models_system_id'), ['system_id'], unique=False)

    op.create_table('model_files',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('version_id', sa.String(length=26), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('object_key', sa.String(length=300), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('preferred', sa.Boolean(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['model_versions.id'], name=op.f('fk_model_files_version_id_model_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_files')),
    sa.UniqueConstraint('version_id', 'path', name=op.f('uq_model_files_version_id_path'))
    )
    with op.batch_alter_table('model_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_files_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_files_version_id'), ['version_id'], unique=False)

    op.create_table('model_training_data',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('model_version_id', sa.String(length=26), nullable=False),
    sa.Column('library_version_id', sa.String(length=26), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('job_id', sa.String(length=26), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['library_version_id'], ['library_versions.id'], name=op.f('fk_model_training_data_library_version_id_library_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_versions.id'], name=op.f('fk_model_training_data_model_version_id_model_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_training_data')),
    sa.UniqueConstraint('model_version_id', 'library_version_id', name=op.f('uq_model_training_data_model_version_id_library_version_id'))
    )
    with op.batch_alter_table('model_training_data', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_training_data_library_version_id'), ['library_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_training_data_model_version_id'), ['model_version_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('model_training_data', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_training_data_model_version_id'))
        batch_op.drop_index(batch_op.f('ix_model_training_data_library_version_id'))

    op.drop_table('model_training_data')
    with op.batch_alter_table('model_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_files_version_id'))
        batch_op.drop_index(batch_op.f('ix_model_files_sha256'))

    op.drop_table('model_files')
    with op.batch_alter_table('ai_system_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ai_system_models_system_id'))
        batch_op.drop_index(batch_op.f('ix_ai_system_models_model_version_id'))

    op.drop_table('ai_system_models')
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_versions_revision'))
        batch_op.drop_index('ix_model_versions_repo_id_status')
        batch_op.drop_index(batch_op.f('ix_model_versions_repo_id'))

    op.drop_table('model_versions')
    with op.batch_alter_table('model_terms_acceptances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_terms_acceptances_user_id'))
        batch_op.drop_index(batch_op.f('ix_model_terms_acceptances_repo_id'))

    op.drop_table('model_terms_acceptances')
    with op.batch_alter_table('model_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_grants_user_id'))
        batch_op.drop_index('ix_model_grants_repo_id_status')
        batch_op.drop_index(batch_op.f('ix_model_grants_repo_id'))

    op.drop_table('model_grants')
    with op.batch_alter_table('model_repos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_repos_updated_at'))
        batch_op.drop_index(batch_op.f('ix_model_repos_task'))
        batch_op.drop_index(batch_op.f('ix_model_repos_organisation_id'))

    op.drop_table('model_repos')
