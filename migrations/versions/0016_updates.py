"""updates: campaign news and change notices to signers, and the outbox's priority

Revision ID: 0016_updates
Revises: 0015_snapshots
Create Date: 2026-12-01 03:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016_updates'
down_revision = '0015_snapshots'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'updates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('letter_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('news', 'change-notice', name='update_kind', native_enum=False, length=16),
                  nullable=False),
        sa.Column('status', sa.Enum('draft', 'awaiting', 'approved', 'sending', 'sent', name='update_status',
                                    native_enum=False, length=16), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('previous_version', sa.String(length=64), nullable=True),
        sa.Column('new_version', sa.String(length=64), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('approver_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['approver_id'], ['admin_users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['author_id'], ['admin_users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_updates_letter_id'), ['letter_id'], unique=False)
    op.create_table(
        'update_texts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('update_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['update_id'], ['updates.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('update_id', 'language'),
    )
    op.create_table(
        'update_deliveries',
        sa.Column('update_id', sa.Integer(), nullable=False),
        sa.Column('signature_id', sa.Integer(), nullable=False),
        sa.Column('news', sa.Boolean(), nullable=False),
        sa.Column('stop_hash', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['update_id'], ['updates.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('update_id', 'signature_id'),
        sa.UniqueConstraint('stop_hash'),
    )
    with op.batch_alter_table('update_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_update_deliveries_signature_id_created_at', ['signature_id', 'created_at'],
                              unique=False)
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index('ix_signatures_email_hash', ['email_hash'], unique=False)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.SmallInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('list_unsubscribe', sa.String(length=500), nullable=True))
        batch_op.drop_index('ix_outbox_messages_status_next_attempt_at')
        batch_op.create_index('ix_outbox_messages_status_priority_next_attempt_at',
                              ['status', 'priority', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_priority_next_attempt_at')
        batch_op.create_index('ix_outbox_messages_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)
        batch_op.drop_column('list_unsubscribe')
        batch_op.drop_column('priority')
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_signatures_email_hash')
    with op.batch_alter_table('update_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_update_deliveries_signature_id_created_at')
    op.drop_table('update_deliveries')
    op.drop_table('update_texts')
    with op.batch_alter_table('updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_updates_letter_id'))
    op.drop_table('updates')
