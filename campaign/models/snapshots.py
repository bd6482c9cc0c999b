"""Signed snapshots of a letter's public list, and the stored tree that answers proofs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import UTCDateTime, utcnow


class Snapshot(Model):
    """One signed statement of the list (``publication.snapshots``): the Merkle root over every
    entry then on the public list, how many, and the hash of the statement before it.

    ``statement`` is the exact canonical JSON that was signed; the other columns repeat parts of it
    for pages and queries. ``feed_at``/``feed_id``: the change feed's position at the snapshot (the
    latest publication then), so that "changes since a snapshot" reads on from there."""

    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("letter_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    count: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)
    statement_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    feed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    feed_id: Mapped[int | None] = mapped_column(Integer)


class SnapshotChunk(Model):
    """A run of up to ``snapshots.CHUNK`` fixed-width values of one snapshot, in order.

    ``level`` 0 and up: the tree's complete nodes of that level (32-byte hashes; level 0 the
    leaves); level -1: the entries' public ids (16 bytes each) in leaf order, ``first_id`` the
    first of the run, so an entry's leaf index is one indexed look-up and a search in one run.
    A proof reads one run per step of its path and never rebuilds the tree."""

    __tablename__ = "snapshot_chunks"
    __table_args__ = (Index("ix_snapshot_chunks_first_id", "snapshot_id", "level", "first_id"),)

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_id: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
