"""domain verified: an organisation confirmed from an address on its website's domain

The mark of signatures confirmed by their link (``source = 'form'``) before this migration is filled here by the same rule the
application applies at confirmation (``campaign.signing.domains``, standard library and ``idna``
only), from the columns kept already: no look-up leaves the server.

Revision ID: 0014_domain_verified
Revises: 0013_one_pending_pack
Create Date: 2026-11-30 23:50:00

"""
from alembic import op
import sqlalchemy as sa

from campaign.signing.domains import address_on_website


revision = '0014_domain_verified'
down_revision = '0013_one_pending_pack'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('domain_verified', sa.Boolean(), server_default='0', nullable=False))
    connection = op.get_bind()
    candidates = connection.execute(sa.text(
        "SELECT id, email_domain, website FROM signatures WHERE kind = 'organisation' AND status <> 'pending' "
        "AND source = 'form' AND email_domain IS NOT NULL AND website IS NOT NULL"
    ))
    verified = [{"id": row.id} for row in candidates if address_on_website(row.email_domain, row.website)]
    if verified:
        connection.execute(sa.text("UPDATE signatures SET domain_verified = true WHERE id = :id"), verified)


def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_column('domain_verified')
