"""timeline edits: when an admin last changed a delivery or a response (the feed's "updated")

Revision ID: 0010_timeline_edits
Revises: 0009_lifecycle
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_timeline_edits'
down_revision = '0009_lifecycle'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
