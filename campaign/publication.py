"""What the public sees of the signatures: counts now, the list and exports later."""

from __future__ import annotations

from sqlalchemy import func, select

from .extensions import db
from .models import PublishedTally


def published_count(letter_id: int) -> int:
    """Published signatures of a letter, from the maintained tallies (never a table count)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(PublishedTally.count), 0)).where(PublishedTally.letter_id == letter_id)
    )
    return int(total or 0)
