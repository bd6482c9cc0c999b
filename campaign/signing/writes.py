"""How a new signature and the email it sends reach the database: one path on both databases.

The signature goes in as ``INSERT … SELECT … WHERE NOT EXISTS (a suppression of its address)
ON CONFLICT (letter, address, signer) DO NOTHING RETURNING id``. Only that uniqueness conflict means
"this address has signed this letter already, as this person or for this organisation" (the caller
then answers the repeat); any other integrity
error is an error, raised to the caller and the request, and the caller's transaction rolls back
with nothing half-stored. The links and the email follow in the same transaction as plain inserts,
which apply every column's default. Nothing is committed here: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import Executable, bindparam, insert, select

from ..extensions import db, upsert
from ..mail import outbox
from ..models import EmailSuppression, Signature, SignatureToken


@dataclass
class MailToQueue:
    """Emails ready to queue (one, or a verification and its reminder), and the stored form
    (hashes) of the links they carry. All wait for the signature's id, which only the insert gives."""

    messages: list[dict]
    tokens: list[dict] = field(default_factory=list)


def insert_signature(row: dict, now: dt.datetime) -> int | None:
    """Insert ``row`` (from ``rows.signature_row``); returns the new id, or None when the address
    has signed this letter already or asked the form to stop mailing it ("it wasn't me")."""
    statement = _insert_statement(db.session.get_bind().dialect.name, tuple(row))
    return db.session.execute(statement, {**row, "now": now}).scalar()


@cache
def _insert_statement(dialect: str, columns: tuple[str, ...]) -> Executable:
    """The statement for rows of these columns, built once per process: building it and computing
    its cache key took about 0.3 ms per signature (BENCHMARKS.md); its values are all parameters."""
    table = Signature.__table__
    suppressed = select(EmailSuppression.email_hash).where(
        EmailSuppression.email_hash == bindparam("email_hash"), EmailSuppression.expires_at > bindparam("now"))
    values = select(*(bindparam(name, type_=table.c[name].type) for name in columns)).where(~suppressed.exists())
    return (
        upsert(table, dialect).from_select(list(columns), values)
        .on_conflict_do_nothing(index_elements=[table.c.letter_id, table.c.email_hash, table.c.signer_key])
        .returning(table.c.id)
    )


def write_mail(signature_id: int, mail: MailToQueue) -> None:
    """Queue ``mail`` for a signature, with its links (each for that signature unless it names
    another of the same address's), in the session's transaction."""
    if mail.tokens:
        db.session.execute(insert(SignatureToken.__table__), [{"signature_id": signature_id, **token}
                                                             for token in mail.tokens])
    outbox.queue_rows(mail.messages, signature_id)
