"""the address held for the decision notices as a column of its signature, not a table

Revision ID: 0018_held_address_column
Revises: 0017_admin_idna_2008
Create Date: 2026-12-01 17:45:00

Every new signature wrote a second row (``held_addresses``) in a statement of its own; as a column,
the box is written by the signature's one insert. Boxes waiting for a decision are moved across.

The table stays for one release: the app nodes not yet reloaded after this migration (the README's
rolling deploy) still write it, and the new release reads it where the column is empty. The next
release's migration moves what is left and drops it.
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
    op.execute("DELETE FROM held_addresses")


def downgrade():
    op.execute("INSERT INTO held_addresses (signature_id, address_box, created_at)"
               " SELECT id, held_address_box, created_at FROM signatures WHERE held_address_box IS NOT NULL")
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_column('held_address_box')
