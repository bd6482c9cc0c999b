"""The outbox of queued email and run-time switches."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import UTCDateTime, enum_column, utcnow


class EmailKind(str, enum.Enum):
    """Every kind of email the outbox stores (``OutboxMessage.kind``), spelled here and nowhere else.

    The first six are rendered from templates (``mail.rendering``: a template pair and a translated
    subject each); the last three are campaign updates, written by admins (``mail.updates``).
    """

    VERIFICATION = "verification"
    REMINDER = "reminder"
    ALREADY_SIGNED = "already-signed"
    PUBLISHED = "published"
    REJECTED = "rejected"
    DIGEST = "digest"
    NEWS = "news"  # a campaign update (``UpdateKind.NEWS``)
    CHANGE_NOTICE = "change-notice"  # a notice of a changed text (``UpdateKind.CHANGE_NOTICE``)
    UPDATE_TEST = "update-test"  # an update sent to its author to try it


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Model):
    """An email written in the same transaction as the change that caused it, sent by a worker.

    The recipient and bodies are erased once the message is sent or given up on. A message due
    later (a reminder) keeps its recipient in ``recipient_box`` (see ``crypto.hold``), not in clear.
    """

    __tablename__ = "outbox_messages"
    # The worker claims by priority first (transactional mail before bulk), then by due time.
    __table_args__ = (Index("ix_outbox_messages_status_priority_next_attempt_at", "status", "priority", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # an ``EmailKind`` value
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("signatures.id", ondelete="SET NULL"), index=True)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING)
    recipient: Mapped[str | None] = mapped_column(String(320))
    recipient_box: Mapped[bytes | None] = mapped_column(LargeBinary)
    subject: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: 0 for a message to one person about their own action (sent first), 1 for bulk (updates).
    priority: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    #: A bulk message's one-click unsubscribe URL (RFC 8058), erased with the recipient once sent.
    list_unsubscribe: Mapped[str | None] = mapped_column(String(500))


class SiteSetting(Model):
    """Switches operators flip at run time without a deploy (e.g. pausing signing)."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
