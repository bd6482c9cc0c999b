"""account links: a one-time link to set a password and enrol the second factor in the browser

Revision ID: 0007_account_links
Revises: 0006_signers
Create Date: 2026-11-30 13:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007_account_links'
down_revision = '0006_signers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('admin_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('setup_token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('setup_purpose', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('setup_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_admin_users_setup_token_hash'), ['setup_token_hash'])


def downgrade():
    with op.batch_alter_table('admin_users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_admin_users_setup_token_hash'), type_='unique')
        batch_op.drop_column('setup_expires_at')
        batch_op.drop_column('setup_purpose')
        batch_op.drop_column('setup_token_hash')
