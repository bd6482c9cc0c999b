"""lifecycle: closing, goals and a public timeline per letter

Revision ID: 0009_lifecycle
Revises: 0008_stats
Create Date: 2026-11-30 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009_lifecycle'
down_revision = '0008_stats'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('timeline_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline_files')),
    sa.UniqueConstraint('sha256', name=op.f('uq_timeline_files_sha256'))
    )
    op.create_table('timeline_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('goal_reached', 'closed', 'reopened', 'delivered', 'response', name='timeline_kind', native_enum=False, length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('goal', sa.Integer(), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['timeline_files.id'], name=op.f('fk_timeline_events_file_id_timeline_files'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_timeline_events_letter_id_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline_events')),
    sa.UniqueConstraint('letter_id', 'kind', 'key', name=op.f('uq_timeline_events_letter_id_kind_key'))
    )
    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timeline_events_letter_id'), ['letter_id'], unique=False)

    op.create_table('timeline_texts',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['timeline_events.id'], name=op.f('fk_timeline_texts_event_id_timeline_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'language', name=op.f('pk_timeline_texts'))
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('goal', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('goal_reached', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('file_settings', sa.JSON(), nullable=False, server_default='{}'))



def downgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_column('file_settings')
        batch_op.drop_column('goal_reached')
        batch_op.drop_column('goal')
        batch_op.drop_column('closes_at')

    op.drop_table('timeline_texts')
    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timeline_events_letter_id'))

    op.drop_table('timeline_events')
    op.drop_table('timeline_files')
