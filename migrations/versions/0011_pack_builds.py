"""pack builds: delivery packs prepared in the background for admins

Revision ID: 0011_pack_builds
Revises: 0010_timeline_edits
Create Date: 2026-11-30 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011_pack_builds'
down_revision = '0010_timeline_edits'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pack_builds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('status', sa.Enum('waiting', 'building', 'ready', 'failed', name='pack_status', native_enum=False, length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=254), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('names', sa.Integer(), nullable=True),
    sa.Column('manifest', sa.Text(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('archive_bytes', sa.Integer(), nullable=True),
    sa.Column('archive', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_pack_builds_letter_id_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pack_builds'))
    )
    with op.batch_alter_table('pack_builds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pack_builds_letter_id'), ['letter_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pack_builds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pack_builds_letter_id'))
    op.drop_table('pack_builds')
