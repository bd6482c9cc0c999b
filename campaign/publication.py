"""What the public sees of the signatures: counts now, the list and exports later."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .extensions import db
from .models import PublishedTally, Signature, utcnow


def published_count(letter_id: int) -> int:
    """Published signatures of a letter, from the maintained tallies (never a table count)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(PublishedTally.count), 0)).where(PublishedTally.letter_id == letter_id)
    )
    return int(total or 0)


def _adjust_tally(signature: Signature, delta: int) -> None:
    """Add ``delta`` to the tally of the signature's letter, kind and country, creating the row if needed.

    An upsert, so two moderators publishing at once never collide on a missing row.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(PublishedTally).values(
        letter_id=signature.letter_id, kind=signature.kind.value, country=signature.country, count=delta,
        updated_at=utcnow(),
    )
    statement = statement.on_conflict_do_update(
        index_elements=[PublishedTally.letter_id, PublishedTally.kind, PublishedTally.country],
        set_={"count": PublishedTally.count + delta, "updated_at": utcnow()},
    )
    db.session.execute(statement)


def count_published(signature: Signature) -> None:
    _adjust_tally(signature, 1)


def count_unpublished(signature: Signature) -> None:
    _adjust_tally(signature, -1)
