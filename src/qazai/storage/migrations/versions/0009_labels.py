"""labels of synthetic content, certificates (issue 15)

The platform's labelling CA roots, the signing certificates per organisation and AI system, and
the label registry (hashes only, never content).

Revision ID: 0009_labels
Revises: 0008_models
Create Date: 2026-12-03 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009_labels'
down_revision: str | None = '0008_models'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('label_authorities',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=False),
    sa.Column('encrypted_key_pem', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_authorities')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_label_authorities_fingerprint'))
    )
    op.create_table('label_certificates',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('authority_id', sa.String(length=26), nullable=False),
    sa.Column('system_id', sa.String(length=26), nullable=False),
    sa.Column('organisation_id', sa.String(length=26), nullable=False),
    sa.Column('algorithm', sa.String(length=16), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=False),
    sa.Column('encrypted_key_pem', sa.Text(), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revocation_reason', sa.Text(), nullable=True),
    sa.Column('revoked_by', sa.String(length=26), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['label_authorities.id'], name=op.f('fk_label_certificates_authority_id_label_authorities'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_label_certificates_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['system_id'], ['ai_systems.id'], name=op.f('fk_label_certificates_system_id_ai_systems'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_certificates')),
    sa.UniqueConstraint('serial', name=op.f('uq_label_certificates_serial'))
    )
    with op.batch_alter_table('label_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_certificates_authority_id'), ['authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_label_certificates_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_label_certificates_system_id_algorithm', ['system_id', 'algorithm'], unique=False)

    op.create_table('labels',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('system_id', sa.String(length=26), nullable=False),
    sa.Column('organisation_id', sa.String(length=26), nullable=False),
    sa.Column('certificate_id', sa.String(length=26), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('media_type', sa.String(length=127), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('phash', sa.BigInteger(), nullable=True),
    sa.Column('embedding', sa.String(length=16), nullable=False),
    sa.Column('visible_notice', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('notice', sa.JSON(), nullable=False),
    sa.Column('record', sa.LargeBinary(), nullable=True),
    sa.Column('test', sa.Boolean(), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=26), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['label_certificates.id'], name=op.f('fk_labels_certificate_id_label_certificates'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_labels_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['system_id'], ['ai_systems.id'], name=op.f('fk_labels_system_id_ai_systems'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_labels'))
    )
    with op.batch_alter_table('labels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_labels_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_labels_content_sha256'), ['content_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_labels_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_labels_source_sha256'), ['source_sha256'], unique=False)
        batch_op.create_index('ix_labels_system_id_created_at', ['system_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('labels')
    op.drop_table('label_certificates')
    op.drop_table('label_authorities')
