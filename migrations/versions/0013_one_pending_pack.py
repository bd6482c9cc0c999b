"""one pending pack: at most one delivery pack waiting or being made per letter and language

Revision ID: 0013_one_pending_pack
Revises: 0012_partners
Create Date: 2026-12-01 00:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013_one_pending_pack'
down_revision = '0012_partners'
branch_labels = None
depends_on = None

PENDING = "status IN ('waiting', 'building')"


def upgrade():
    # Two requests that raced before this index: keep the older of each pair, give up the others.
    op.execute(
        "UPDATE pack_builds SET status = 'failed', error = 'A second request for the same pack.' "
        f"WHERE {PENDING} AND id NOT IN (SELECT MIN(id) FROM pack_builds WHERE {PENDING} GROUP BY letter_id, language)"
    )
    op.create_index('uq_pack_builds_pending', 'pack_builds', ['letter_id', 'language'], unique=True,
                    postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING))


def downgrade():
    op.drop_index('uq_pack_builds_pending', table_name='pack_builds')
