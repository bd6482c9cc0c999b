"""A letter's public timeline: what happened to it after it was published, in each language."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import UTCDateTime, enum_column, utcnow


class TimelineKind(str, enum.Enum):
    GOAL_REACHED = "goal_reached"
    CLOSED = "closed"
    REOPENED = "reopened"
    DELIVERED = "delivered"
    RESPONSE = "response"


class TimelineEvent(Model):
    """One event on a letter's timeline.

    ``key`` makes an automatic event happen once (the goal for ``goal_reached``, the closing time
    for ``closed``); an event an admin records gets a random one. Events that follow from the
    letter itself (its publication, a closing time that has passed) are not stored: the timeline
    derives them (see ``lifecycle.timeline``)."""

    __tablename__ = "timeline_events"
    __table_args__ = (UniqueConstraint("letter_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TimelineKind] = mapped_column(enum_column(TimelineKind, "timeline_kind"))
    key: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    goal: Mapped[int | None] = mapped_column(Integer)
    link: Mapped[str | None] = mapped_column(String(500))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("timeline_files.id", ondelete="SET NULL"))
    recorded_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When an admin last changed what they recorded (``None``: never); feeds give it as ``updated``.
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    texts: Mapped[list[TimelineText]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="TimelineText.language")
    file: Mapped[TimelineFile | None] = relationship()


class TimelineText(Model):
    """An event's words in one language: a headline (to whom, where) and an optional summary."""

    __tablename__ = "timeline_texts"

    event_id: Mapped[int] = mapped_column(ForeignKey("timeline_events.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[TimelineEvent] = relationship(back_populates="texts")


class TimelineFile(Model):
    """A photo of a delivery or a response as a PDF, uploaded by an admin and served by us.

    Kept in the database, not on an app node's disk, so every node serves it and a backup holds it.
    Photos are re-encoded on upload, which drops what a camera writes into them (place, device)."""

    __tablename__ = "timeline_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
