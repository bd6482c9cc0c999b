"""Typed SQLAlchemy 2 models. Every change here needs an Alembic migration (a test checks)."""

from __future__ import annotations

import datetime as dt

import enum

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .extensions import db


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


class Letter(db.Model):
    """An open letter. Its texts (original and translations) are loaded from files in ``LETTERS_DIR``."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    original_language: Mapped[str] = mapped_column(String(8))
    published_on: Mapped[dt.date] = mapped_column(Date)
    contact: Mapped[str] = mapped_column(String(254))
    drafted_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    texts: Mapped[list[LetterText]] = relationship(back_populates="letter", order_by="LetterText.id")


class LetterText(db.Model):
    """One version of a letter in one language.

    Versions are never overwritten: a changed file adds a row and retires the previous one, so the
    version a signature records always resolves to the exact text that was signed.
    """

    __tablename__ = "letter_texts"
    __table_args__ = (UniqueConstraint("letter_id", "language", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    version: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(default=True)
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    letter: Mapped[Letter] = relationship(back_populates="texts")


class PublishedTally(db.Model):
    """How many signatures of one kind from one country are published for a letter.

    Maintained by the moderation service when publication changes, so pages never count the
    signature table; signing itself never touches these rows.
    """

    __tablename__ = "published_tallies"

    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class SignatureKind(str, enum.Enum):
    INDIVIDUAL = "individual"
    ORGANISATION = "organisation"


class SignatureStatus(str, enum.Enum):
    PENDING = "pending"  # submitted, email not verified yet
    VERIFIED = "verified"  # email verified, waiting for a moderator
    PUBLISHED = "published"
    REJECTED = "rejected"
    HIDDEN = "hidden"  # was published, taken off the list by a moderator


def _enum(enum_class: type[enum.Enum], name: str) -> Enum:
    return Enum(enum_class, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class Signature(db.Model):
    """One signature of one letter by one email address.

    The address itself is never stored in clear: ``email_hash`` (a keyed HMAC of the normalised
    address) finds duplicates, ``email_domain`` helps moderators, and ``email_sealed`` is a
    sealed box to the campaign's public key that only the offline private key can open.
    """

    __tablename__ = "signatures"
    __table_args__ = (
        UniqueConstraint("letter_id", "email_hash"),
        Index("ix_signatures_letter_id_status_id", "letter_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    kind: Mapped[SignatureKind] = mapped_column(_enum(SignatureKind, "signature_kind"))
    status: Mapped[SignatureStatus] = mapped_column(_enum(SignatureStatus, "signature_status"))

    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(500))
    comment: Mapped[str | None] = mapped_column(String(500))
    consent_publish: Mapped[bool] = mapped_column(default=False)
    consent_updates: Mapped[bool] = mapped_column(default=False)

    email_hash: Mapped[str] = mapped_column(String(64))
    email_domain: Mapped[str] = mapped_column(String(253))
    email_sealed: Mapped[bytes] = mapped_column(LargeBinary)

    language: Mapped[str] = mapped_column(String(8))
    letter_version: Mapped[str] = mapped_column(String(64))
    client_network_hash: Mapped[str | None] = mapped_column(String(64), index=True)

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_email_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    tokens: Mapped[list[SignatureToken]] = relationship(
        back_populates="signature", cascade="all, delete-orphan", passive_deletes=True
    )


class TokenPurpose(str, enum.Enum):
    CONFIRM = "confirm"
    WITHDRAW = "withdraw"
    NOT_ME = "not-me"


class SignatureToken(db.Model):
    """A link sent by email. Only the SHA-256 of the token is kept; each token serves one purpose."""

    __tablename__ = "signature_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(_enum(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    signature: Mapped[Signature] = relationship(back_populates="tokens")


class EmailSuppression(db.Model):
    """An address (as its keyed hash) whose owner said "it wasn't me": the form mails it no more."""

    __tablename__ = "email_suppressions"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    """An email written in the same transaction as the change that caused it, sent by a worker.

    The recipient and bodies are erased once the message is sent or given up on.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("signatures.id", ondelete="SET NULL"), index=True)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING)
    recipient: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SiteSetting(db.Model):
    """Switches operators flip at run time without a deploy (e.g. pausing signing)."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
