"""invisible characters: remove them from stored names, organisations, roles and cities

Signatures stored before the form removed zero-width and other invisible characters keep them,
and their search text was folded without removing them: such a name escapes search and the
"already published" warning. This data migration applies the form's rule (``strip_invisible``)
to those fields and recomputes the search text, for the rows that hold any non-ASCII text.

Revision ID: 0005_invisible_characters
Revises: 0004_public_list
Create Date: 2026-11-30 07:10:00

"""
from alembic import op
import sqlalchemy as sa

from campaign.models import SignatureKind
from campaign.publication.listing import search_text_for
from campaign.text import strip_invisible


revision = '0005_invisible_characters'
down_revision = '0004_public_list'
branch_labels = None
depends_on = None

FIELDS = ("name", "organisation", "role", "city")
BATCH = 5000


def _cleaned(value):
    """The value as the form stores it today; a value that would be left empty stays as it was,
    for a moderator to see."""
    if value is None or value.isascii():
        return value
    return " ".join(strip_invisible(value).split()) or value


def upgrade():
    connection = op.get_bind()
    signatures = sa.table("signatures", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                          sa.column("search_text", sa.Text), *(sa.column(name, sa.String) for name in FIELDS))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(signatures).where(signatures.c.id > last_id).order_by(signatures.c.id).limit(BATCH)
        ).mappings().all()
        if not rows:
            return
        last_id = rows[-1]["id"]
        for row in rows:
            cleaned = {name: _cleaned(row[name]) for name in FIELDS}
            if cleaned == {name: row[name] for name in FIELDS}:
                continue
            search_text = search_text_for(SignatureKind(row["kind"]), cleaned["name"], cleaned["organisation"])
            connection.execute(
                signatures.update().where(signatures.c.id == row["id"]).values(**cleaned, search_text=search_text)
            )


def downgrade():
    pass  # removed invisible characters are not put back
