"""Campaign updates to signers who asked for news, and notices to signers when a text changes."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import UTCDateTime, enum_column, utcnow
from .operations import EmailKind


class UpdateKind(str, enum.Enum):
    """What an update is; its emails are stored in the outbox as the ``EmailKind`` of the same name."""

    NEWS = EmailKind.NEWS.value  # to signers with ``consent_updates``, each of whom can stop them
    CHANGE_NOTICE = EmailKind.CHANGE_NOTICE.value  # transactional: to the signers of a text that changed

    @property
    def email_kind(self) -> EmailKind:
        return EmailKind(self.value)


class UpdateStatus(str, enum.Enum):
    DRAFT = "draft"
    AWAITING = "awaiting"  # asked for a second admin's approval
    APPROVED = "approved"  # ready for ``flask updates send`` where the private key lives
    SENDING = "sending"  # queuing started (an interrupted run resumes)
    SENT = "sent"  # every signer it was for was queued or held back


class Update(Model):
    """One mass email about a letter: written and approved in the browser, queued by the command
    line with the private key (the server cannot open the sealed addresses)."""

    __tablename__ = "updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    kind: Mapped[UpdateKind] = mapped_column(enum_column(UpdateKind, "update_kind"))
    status: Mapped[UpdateStatus] = mapped_column(enum_column(UpdateStatus, "update_status"),
                                                 default=UpdateStatus.DRAFT)
    #: A change notice: the language whose text changed and the version its signers signed.
    language: Mapped[str | None] = mapped_column(String(8))
    previous_version: Mapped[str | None] = mapped_column(String(64))
    new_version: Mapped[str | None] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("admin_users.id", ondelete="SET NULL"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("admin_users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    texts: Mapped[list[UpdateText]] = relationship(
        back_populates="update", cascade="all, delete-orphan", passive_deletes=True, order_by="UpdateText.language"
    )

    @property
    def is_editable(self) -> bool:
        """Its texts can still be written: not approved yet (an edit sends it back to draft)."""
        return self.status in (UpdateStatus.DRAFT, UpdateStatus.AWAITING)

    @property
    def is_deletable(self) -> bool:
        """Not being sent yet: once sending begins, some signers may have it."""
        return self.is_editable or self.status is UpdateStatus.APPROVED


class UpdateText(Model):
    """An update in one language: a subject and a Markdown body (links and images are not rendered)."""

    __tablename__ = "update_texts"
    __table_args__ = (UniqueConstraint("update_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    update: Mapped[Update] = relationship(back_populates="texts")


class UpdateDelivery(Model):
    """The ledger of "each signer once": written in the same transaction as the outbox row, so a
    resumed send skips whoever has one. ``stop_hash`` is the digest of the one-click unsubscribe
    token of a news email; the row goes with the signature when it is withdrawn."""

    __tablename__ = "update_deliveries"
    __table_args__ = (Index("ix_update_deliveries_signature_id_created_at", "signature_id", "created_at"),)

    update_id: Mapped[int] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"), primary_key=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id", ondelete="CASCADE"), primary_key=True)
    news: Mapped[bool] = mapped_column(default=True)
    stop_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
