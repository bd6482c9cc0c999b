"""partners: coalition members credited with the signatures that came through their links

Revision ID: 0012_partners
Revises: 0011_pack_builds
Create Date: 2026-12-01 00:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012_partners'
down_revision = '0011_pack_builds'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('page_token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['admin_users.id'], name=op.f('fk_partners_created_by_id_admin_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('code', name=op.f('uq_partners_code')),
    sa.UniqueConstraint('page_token_hash', name=op.f('uq_partners_page_token_hash'))
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('partner_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_signatures_partner_id'), ['partner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_signatures_partner_id_partners'), 'partners', ['partner_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_signatures_partner_id_partners'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_signatures_partner_id'))
        batch_op.drop_column('partner_id')
    op.drop_table('partners')
