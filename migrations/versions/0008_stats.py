"""stats: indexes for the operator's dashboard (signatures per day, confirmation, review times)

Revision ID: 0008_stats
Revises: 0007_account_links
Create Date: 2026-12-01 12:00:00

"""
from alembic import op


revision = '0008_stats'
down_revision = '0007_account_links'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index('ix_signatures_letter_id_created_at',
                              ['letter_id', 'created_at', 'language', 'kind', 'status', 'verified_at'], unique=False)
        batch_op.create_index('ix_signatures_letter_id_verified_at', ['letter_id', 'verified_at'], unique=False)
        batch_op.create_index('ix_signatures_letter_id_decided_at', ['letter_id', 'decided_at', 'verified_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_signatures_letter_id_decided_at')
        batch_op.drop_index('ix_signatures_letter_id_verified_at')
        batch_op.drop_index('ix_signatures_letter_id_created_at')
