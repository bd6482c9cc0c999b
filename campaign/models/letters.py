"""Letters, their texts, and the published tallies shown beside them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import UTCDateTime, utcnow


class Letter(Model):
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
    list_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
    #: Signing stops at this moment (``None``: open); from the letter's file or set by an admin.
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The first goal shown beside the count; the next ones follow by rule (``lifecycle.goals``).
    goal: Mapped[int | None] = mapped_column(Integer)
    #: The highest goal the count has passed: each goal passed by publishing is on the timeline, once,
    #: whoever publishes; one the count had passed when an admin set the goal is not.
    goal_reached: Mapped[int | None] = mapped_column(Integer)
    #: What the letter's file said of ``closes_at`` and ``goal`` when last loaded: a file's value is
    #: applied when it changes, so loading again never undoes what an admin set in the browser.
    file_settings: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    texts: Mapped[list[LetterText]] = relationship(back_populates="letter", order_by="LetterText.id")


class LetterText(Model):
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


class PublishedTally(Model):
    """How many signatures of one kind from one country are published for a letter.

    ``kind`` is ``organisation``, ``individual`` (named) or ``individual_unnamed`` (counted only).

    Maintained by the moderation service when publication changes, so pages never count the
    signature table; signing itself never touches these rows.
    """

    __tablename__ = "published_tallies"

    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class PublishedDay(Model):
    """The net change in published signatures of a letter on one day (UTC): the growth history."""

    __tablename__ = "published_days"

    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
