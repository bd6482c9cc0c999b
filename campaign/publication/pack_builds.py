"""Delivery packs made in the background, for admins to download from any app node.

A pack of a long list takes minutes (about 50 s for 10,000 names, 8 for 100,000: BENCHMARKS.md),
longer than a request may last. An admin asks for one (``request_build``); the outbox worker,
which every deployment runs, claims it (``claim_next``: ``FOR UPDATE SKIP LOCKED`` where the
database has it, under a lease, so of several workers one makes it and a dead worker's build is
made again) and makes it in a child process of its own (``Builder``): mail keeps going out
meanwhile, and the layout's memory goes back to the system when the child ends. The ZIP is stored
in the database with its manifest; the newest one of each letter and language is kept.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import signal
from multiprocessing.process import BaseProcess

from flask import Flask, current_app
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import letters
from ..extensions import db
from ..models import AdminUser, Letter, PackBuild, PackStatus, utcnow
from ..moderation import audit
from . import pack

logger = logging.getLogger(__name__)
#: A build whose worker died this many times (the machine ran out of memory, say) is given up.
MAX_ATTEMPTS = 3
#: Why a pack failed, when the page can say it in the reader's language (``views.labels``);
#: anything else is the error itself, as the worker's log has it.
GIVEN_UP, NO_TEXT, COUNTS_DISAGREE = "given-up", "no-text", "counts-disagree"


def request_build(letter: Letter, language: str, actor: AdminUser) -> PackBuild:
    """Ask for a pack of ``letter`` in ``language``; one already waiting or being made answers
    (two admins pressing at once: the database keeps one, ``uq_pack_builds_pending``)."""
    pending = _pending(letter.id, language)
    if pending is not None:
        return pending
    build = PackBuild(letter_id=letter.id, language=language, requested_by=actor.email, status=PackStatus.WAITING)
    db.session.add(build)
    audit.record(actor, actor.email, "pack.requested", "letter", letter.id, after={"language": language})
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        pending = _pending(letter.id, language)
        if pending is None:
            raise
        return pending
    return build


def _pending(letter_id: int, language: str) -> PackBuild | None:
    return db.session.scalar(select(PackBuild).where(
        PackBuild.letter_id == letter_id, PackBuild.language == language,
        PackBuild.status.in_([PackStatus.WAITING, PackStatus.BUILDING])))


def builds_of(letter_id: int) -> dict[str, dict[PackStatus, PackBuild]]:
    """For each language, its newest build in each state (the archive itself is not read)."""
    found: dict[str, dict[PackStatus, PackBuild]] = {}
    for build in db.session.scalars(select(PackBuild).where(PackBuild.letter_id == letter_id)
                                    .order_by(PackBuild.id)):
        found.setdefault(build.language, {})[build.status] = build
    return found


def ready_archive(letter_id: int, language: str) -> PackBuild | None:
    return db.session.scalar(select(PackBuild).where(
        PackBuild.letter_id == letter_id, PackBuild.language == language, PackBuild.status == PackStatus.READY,
    ).order_by(PackBuild.id.desc()).limit(1))


def claim_next(now: dt.datetime | None = None) -> int | None:
    """Take the oldest build waiting (or whose worker's lease ran out) for this worker."""
    now = now or utcnow()
    claimable = or_(PackBuild.status == PackStatus.WAITING,
                    and_(PackBuild.status == PackStatus.BUILDING, PackBuild.lease_until < now))
    build_id = db.session.scalar(select(PackBuild.id).where(claimable).order_by(PackBuild.id).limit(1)
                                 .with_for_update(skip_locked=True))
    if build_id is None:
        db.session.commit()
        return None
    lease = dt.timedelta(seconds=current_app.config["PACK_BUILD_LEASE_SECONDS"])
    db.session.execute(update(PackBuild).where(PackBuild.id == build_id).values(
        status=PackStatus.BUILDING, started_at=now, lease_until=now + lease, attempts=PackBuild.attempts + 1))
    db.session.commit()
    return build_id


def build(build_id: int) -> PackStatus:
    """Make the claimed pack and store it, or record why it could not be made; returns which."""
    claimed = db.session.get_one(PackBuild, build_id)
    letter_id, language, attempts = claimed.letter_id, claimed.language, claimed.attempts
    letter = db.session.get(Letter, letter_id)
    view = letters.letter_in_language(letter, language) if letter else None
    if attempts > MAX_ATTEMPTS or view is None:
        _finish(build_id, PackStatus.FAILED, error=GIVEN_UP if view else NO_TEXT)
        return PackStatus.FAILED
    try:
        with pack.write_archive(view, language) as archive_file:
            archive, manifest = archive_file.read(), pack.read_manifest(archive_file)
    except Exception as error:
        db.session.rollback()
        logger.exception("delivery pack %s not made", build_id)
        reason = COUNTS_DISAGREE if isinstance(error, pack.PackMismatch) else f"{type(error).__name__}: {error}"
        _finish(build_id, PackStatus.FAILED, error=reason[:500])
        return PackStatus.FAILED
    _finish(build_id, PackStatus.READY, archive=archive, archive_bytes=len(archive),
            manifest=json.dumps(manifest, ensure_ascii=False), names=manifest["count"]["listed"])
    db.session.execute(delete(PackBuild).where(  # older packs of this letter and language
        PackBuild.letter_id == letter_id, PackBuild.language == language, PackBuild.id < build_id,
        PackBuild.status.in_([PackStatus.READY, PackStatus.FAILED])))
    db.session.commit()
    return PackStatus.READY


def _finish(build_id: int, status: PackStatus, **values: object) -> None:
    db.session.execute(update(PackBuild).where(PackBuild.id == build_id).values(
        status=status, finished_at=utcnow(), lease_until=None, **values))
    db.session.commit()


def _build_in_child(app: Flask, build_id: int) -> None:
    """A forked child: its own database connections (never the parent's), default signals."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    with app.app_context():
        db.engine.dispose(close=False)
        build(build_id)


class Builder:
    """Makes at most one pack at a time, each in a child process, between the outbox worker's batches."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.child: BaseProcess | None = None

    def poll(self) -> None:
        if self.child is not None:
            if self.child.is_alive():
                return
            self.child.join()
            self.child = None
        build_id = claim_next()
        if build_id is None:
            return
        self.child = multiprocessing.get_context("fork").Process(
            target=_build_in_child, args=(self.app, build_id), name=f"pack-build-{build_id}")
        self.child.start()
