"""How a new signature, its emailed links and its email reach the database.

On PostgreSQL the three go in as one statement (data-modifying ``WITH`` clauses): one round trip
instead of three (BENCHMARKS.md has what it saved). SQLite has no data-modifying ``WITH``, so
there they are three statements in one transaction. Either
way nothing is committed here: the caller owns the transaction. The new signature's statement goes
straight to the session's connection: nothing in it needs the ORM's bookkeeping (and a second
connection per request could exhaust the pool under load).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import Connection, bindparam, delete, insert, select, union_all

from ..mail import outbox
from ..extensions import db
from ..models import EmailSuppression, OutboxMessage, Signature, SignatureToken


@dataclass
class MailToQueue:
    """An email ready to queue, and the stored form (hashes) of the links it carries. Both wait for
    the signature's id, which only the insert gives."""

    message: dict
    tokens: list[dict] = field(default_factory=list)


TOKEN_COLUMNS = ("purpose", "token_hash", "expires_at")
MESSAGE_COLUMNS = (
    "kind", "status", "recipient", "subject", "body_text", "body_html", "message_id", "attempts", "next_attempt_at",
)


def _unless_suppressed(columns: tuple[str, ...]):
    """``SELECT :a, :b, … WHERE`` the address has not asked the form to stop mailing it."""
    table = Signature.__table__
    suppressed = select(EmailSuppression.email_hash).where(
        EmailSuppression.email_hash == bindparam("email_hash"), EmailSuppression.expires_at > bindparam("now")
    )
    return select(*(bindparam(name, type_=table.c[name].type) for name in columns)).where(~suppressed.exists())


@lru_cache(maxsize=4)
def _signature_statement(columns: tuple[str, ...]):
    table = Signature.__table__
    return insert(table).from_select(list(columns), _unless_suppressed(columns)).returning(table.c.id)


# psycopg converts a query's placeholders once and caches the result only for queries of at most
# 4,096 bytes and 50 parameters: past either, it parses the statement again on every execution.
PSYCOPG_CACHED_QUERY_BYTES, PSYCOPG_CACHED_QUERY_PARAMETERS = 4096, 50


@lru_cache(maxsize=4)
def _signature_and_mail_statement(columns: tuple[str, ...], token_count: int):
    """One statement: the signature (unless suppressed), then its tokens and its email, both taking
    the new id; when the signature is not inserted, neither are they. Built once per shape, so
    SQLAlchemy compiles it once and psycopg prepares it once per connection. Rows share the
    ``now`` parameter to stay within psycopg's limits (above)."""
    signatures, tokens, messages = Signature.__table__, SignatureToken.__table__, OutboxMessage.__table__
    new = (
        insert(signatures).from_select(list(columns), _unless_suppressed(columns))
        .returning(signatures.c.id).cte("new_signature")
    )
    now = bindparam("now", type_=tokens.c.created_at.type)
    token_rows = union_all(*(
        select(new.c.id, *(bindparam(f"token{n}_{name}", type_=tokens.c[name].type) for name in TOKEN_COLUMNS), now)
        for n in range(token_count)
    ))
    new_tokens = insert(tokens).from_select(
        ["signature_id", *TOKEN_COLUMNS, "created_at"], token_rows, include_defaults=False
    ).cte("new_tokens")
    message_row = select(
        new.c.id, *(bindparam(f"message_{name}", type_=messages.c[name].type) for name in MESSAGE_COLUMNS), now
    )
    new_message = insert(messages).from_select(
        ["signature_id", *MESSAGE_COLUMNS, "created_at"], message_row, include_defaults=False
    ).cte("new_message")
    return select(new.c.id).add_cte(new_tokens, new_message)


def insert_signature(connection: Connection, values: dict, now: dt.datetime, mail: MailToQueue) -> int | None:
    """Insert a signature and queue ``mail`` for it, unless its address asked not to be mailed from
    the form ("it wasn't me"): returns the new id, or None. A second signature from one address
    raises ``IntegrityError`` (one signature per address and letter)."""
    columns = tuple(values)
    if connection.dialect.name != "postgresql":
        signature_id = connection.execute(_signature_statement(columns), {**values, "now": now}).scalar()
        if signature_id is not None:
            write_mail(signature_id, mail)
        return signature_id
    parameters = {**values, "now": now}
    for n, token in enumerate(mail.tokens):
        parameters.update({f"token{n}_{name}": token[name] for name in TOKEN_COLUMNS})
    parameters.update({f"message_{name}": mail.message[name] for name in MESSAGE_COLUMNS})
    return connection.execute(_signature_and_mail_statement(columns, len(mail.tokens)), parameters).scalar()


def write_mail(signature_id: int, mail: MailToQueue) -> None:
    """Queue ``mail`` for a signature that already has its id, in the session's transaction."""
    if mail.tokens:
        rows = [{"signature_id": signature_id, **token} for token in mail.tokens]
        db.session.execute(insert(SignatureToken.__table__), rows)
    outbox.queue_row(mail.message, signature_id)


def unqueue_mail(signature_id: int) -> None:
    """Take back, in the same transaction, what ``insert_signature`` queued for a signature it has
    just inserted (the address has had its day's share of email): its email and its links, the
    only ones such a signature has."""
    outbox.discard_unsent_for(signature_id)
    db.session.execute(delete(SignatureToken.__table__).where(SignatureToken.signature_id == signature_id))
