"""Queued email, written in the caller's transaction; and what moderators see of the queue.

A request never talks to the mail server. ``enqueue`` adds a row beside the change that caused the
message; the worker in ``delivery`` sends it, and erases its address and bodies once sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, select

from ..extensions import db
from ..models import EmailKind, OutboxMessage, OutboxStatus, utcnow
from .rendering import message_row


def queue_rows(rows: list[dict], signature_id: int | None = None) -> None:
    """Write rows from ``message_row`` in the caller's transaction (one statement); the caller commits."""
    db.session.execute(insert(OutboxMessage.__table__), [{**row, "signature_id": signature_id} for row in rows])


def enqueue(kind: EmailKind, recipient: str, language: str, signature_id: int | None = None, **context: object) -> None:
    """Render a message in ``language`` and write it in the caller's transaction; the caller commits."""
    queue_rows([message_row(kind, recipient, language, **context)], signature_id)


def discard_unsent_for(signature_id: int, kinds: tuple[EmailKind, ...] | None = None) -> None:
    """Drop mail queued for a signer (of the given kinds, or all): when they withdraw, it holds
    their address and dead links; when they confirm, their reminder is no longer needed."""
    statement = delete(OutboxMessage).where(
        OutboxMessage.signature_id == signature_id, OutboxMessage.status == OutboxStatus.PENDING
    )
    if kinds is not None:
        statement = statement.where(OutboxMessage.kind.in_([kind.value for kind in kinds]))
    db.session.execute(statement)


def discard_unsent_for_any(signature_ids: Select[int]) -> None:
    """Drop all mail queued for the given signatures (an address that said "it wasn't me")."""
    db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.signature_id.in_(signature_ids), OutboxMessage.status == OutboxStatus.PENDING,
    ))


# --- what moderators see of the mail ----------------------------------------------------------

FAILURES_SHOWN_DAYS = 7  # the pages say "the last seven days"


@dataclass(frozen=True)
class MailHealth:
    waiting: int  # due now, or being retried: the backlog
    oldest_waiting: dt.datetime | None  # when the oldest message of the backlog was written
    failed_recently: int
    scheduled: int = 0  # written to go later and not yet due (a reminder a day after signing)


def scheduled_later(now: dt.datetime) -> ColumnElement[bool]:
    """Unsent mail written to go later and not yet due: not backlog, whatever its age."""
    return and_(OutboxMessage.attempts == 0, OutboxMessage.next_attempt_at > now)


def health(now: dt.datetime | None = None) -> MailHealth:
    """The queue's backlog (mail scheduled for later apart) and the messages given up in the last
    ``FAILURES_SHOWN_DAYS``: what the queue page, the dashboard and ``/metrics`` show."""
    now = now or utcnow()
    since = now - dt.timedelta(days=FAILURES_SHOWN_DAYS)
    later = scheduled_later(now)
    waiting, oldest, scheduled = db.session.execute(
        select(func.count().filter(~later), func.min(OutboxMessage.created_at).filter(~later),
               func.count().filter(later))
        .where(OutboxMessage.status == OutboxStatus.PENDING)
    ).one()
    failed = db.session.execute(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.created_at >= since)).scalar_one()
    return MailHealth(waiting, oldest, failed, scheduled)


def recent_failures(limit: int = 200, now: dt.datetime | None = None) -> list[OutboxMessage]:
    """Messages given up in the last ``FAILURES_SHOWN_DAYS``, newest first: no address or body is
    left in them, only the kind, the signature and the redacted reason."""
    since = (now or utcnow()) - dt.timedelta(days=FAILURES_SHOWN_DAYS)
    return list(db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.created_at >= since)
        .order_by(OutboxMessage.id.desc()).limit(limit)
    ))


def signatures_with_undelivered_mail(signature_ids: list[int]) -> set[int]:
    if not signature_ids:
        return set()
    return set(db.session.scalars(select(OutboxMessage.signature_id).where(
        OutboxMessage.signature_id.in_(signature_ids), OutboxMessage.status == OutboxStatus.FAILED)))
