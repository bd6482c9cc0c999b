"""Delivery packs prepared in the background for admins to download."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import Model
from .base import UTCDateTime, enum_column, utcnow


class PackStatus(str, enum.Enum):
    WAITING = "waiting"
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


PENDING = "status IN ('waiting', 'building')"


class PackBuild(Model):
    """One request for a letter's pack in one language, and, once made, the pack itself (a ZIP).

    Kept in the database, not on a node's disk, so any app node can hand it out; it holds public
    data only (the published list). ``lease_until``: while building, when a worker that died
    would give the build up to another."""

    __tablename__ = "pack_builds"
    #: One pack waiting or being made per letter and language, however many admins press at once.
    __table_args__ = (
        Index("uq_pack_builds_pending", "letter_id", "language", unique=True,
              postgresql_where=text(PENDING), sqlite_where=text(PENDING)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[PackStatus] = mapped_column(enum_column(PackStatus, "pack_status"), default=PackStatus.WAITING)
    requested_by: Mapped[str] = mapped_column(String(254), default="")
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    names: Mapped[int | None] = mapped_column(Integer)  # organisations and named individuals listed
    manifest: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(500))
    archive_bytes: Mapped[int | None] = mapped_column(Integer)
    archive: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
