"""snapshots: signed snapshots of the public list, each entry's public id and salt

Every signature stored before gets its random public id and salt here, as new ones get them from
``signing.rows.signature_row``.

Revision ID: 0015_snapshots
Revises: 0014_domain_verified
Create Date: 2026-12-01 03:45:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0015_snapshots'
down_revision = '0014_domain_verified'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    op.create_table(
        'snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('letter_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('added', sa.Integer(), nullable=False),
        sa.Column('removed', sa.Integer(), nullable=False),
        sa.Column('root', sa.String(length=64), nullable=False),
        sa.Column('statement', sa.Text(), nullable=False),
        sa.Column('statement_hash', sa.String(length=64), nullable=False),
        sa.Column('signature', sa.String(length=128), nullable=False),
        sa.Column('feed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('feed_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_snapshots_letter_id_letters'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshots')),
        sa.UniqueConstraint('letter_id', 'number', name=op.f('uq_snapshots_letter_id_number')),
    )
    op.create_table(
        'snapshot_chunks',
        sa.Column('snapshot_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('chunk', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('first_id', sa.String(length=32), nullable=True),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['snapshot_id'], ['snapshots.id'], name=op.f('fk_snapshot_chunks_snapshot_id_snapshots'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('snapshot_id', 'level', 'chunk', name=op.f('pk_snapshot_chunks')),
    )
    op.create_index('ix_snapshot_chunks_first_id', 'snapshot_chunks', ['snapshot_id', 'level', 'first_id'])
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('snapshot_salt', sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    ids = [row.id for row in connection.execute(sa.text("SELECT id FROM signatures"))]
    update = sa.text("UPDATE signatures SET public_id = :public_id, snapshot_salt = :salt WHERE id = :id") \
        .bindparams(sa.bindparam('salt', type_=sa.LargeBinary()))
    for start in range(0, len(ids), BATCH):
        connection.execute(update, [{"id": identifier, "public_id": secrets.token_hex(16), "salt": secrets.token_bytes(32)}
                                    for identifier in ids[start:start + BATCH]])
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('snapshot_salt', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_signatures_public_id'), ['public_id'])


def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_signatures_public_id'), type_='unique')
        batch_op.drop_column('snapshot_salt')
        batch_op.drop_column('public_id')
    op.drop_index('ix_snapshot_chunks_first_id', table_name='snapshot_chunks')
    op.drop_table('snapshot_chunks')
    op.drop_table('snapshots')
