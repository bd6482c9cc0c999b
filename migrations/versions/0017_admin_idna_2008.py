"""admin addresses with their domain in IDNA 2008 A-labels, as they are now stored and mailed

Revision ID: 0017_admin_idna_2008
Revises: 0016_updates
Create Date: 2026-12-01 13:30:00

An account created with ``admin@straße.de`` was stored as typed and mailed at ``strasse.de`` (the
mail library's IDNA 2003); logins now look it up as ``admin@xn--strae-oqa.de``. Data only.
"""
from alembic import op
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email


revision = '0017_admin_idna_2008'
down_revision = '0016_updates'
branch_labels = None
depends_on = None

admin_users = sa.table('admin_users', sa.column('id', sa.Integer()), sa.column('email', sa.String()))


def upgrade():
    connection = op.get_bind()
    taken = set(connection.scalars(sa.select(admin_users.c.email)))
    for account_id, email in connection.execute(sa.select(admin_users.c.id, admin_users.c.email)).all():
        if email.isascii():
            continue
        try:
            validated = validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            continue
        converted = f"{validated.local_part}@{validated.ascii_domain}".lower()
        if converted != email and converted not in taken:
            connection.execute(sa.update(admin_users).where(admin_users.c.id == account_id).values(email=converted))
            taken.add(converted)


def downgrade():
    pass  # the A-label form names the same mailbox: nothing to undo
