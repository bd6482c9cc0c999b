"""the address held for the decision notices as a column of its signature, not a table

Revision ID: 0018_held_address_column
Revises: 0017_admin_idna_2008
Create Date: 2026-12-01 17:45:00

Every new signature wrote a second row (``held_addresses``) in a statement of its own; as a column,
the box is written by the signature's one insert. Boxes waiting for a decision are moved across.
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_held_address_column'
down_revision = '0017_admin_idna_2008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_address_box', sa.LargeBinary(), nullable=True))
    op.execute("UPDATE signatures SET held_address_box = (SELECT address_box FROM held_addresses"
               " WHERE held_addresses.signature_id = signatures.id)"
               " WHERE id IN (SELECT signature_id FROM held_addresses)")
    op.drop_table('held_addresses')


def downgrade():
    op.create_table('held_addresses',
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('address_box', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], name=op.f('fk_held_addresses_signature_id_signatures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('signature_id', name=op.f('pk_held_addresses'))
    )
    op.execute("INSERT INTO held_addresses (signature_id, address_box, created_at)"
               " SELECT id, held_address_box, created_at FROM signatures WHERE held_address_box IS NOT NULL")
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_column('held_address_box')
