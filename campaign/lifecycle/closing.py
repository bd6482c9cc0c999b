"""When a letter takes signatures: from its publication until its closing time, if it has one.

The closing time comes from the letter's file (``closes_at``) or an admin, who may also close at
once or reopen. Closing needs no job to run: at that moment every page and the sign form see that
the time has passed. Links already emailed keep working: a signature made before the letter
closed can still be confirmed until its link expires.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import AdminUser, AuditEntry, Letter, TimelineEvent, TimelineKind, utcnow
from ..moderation import audit
from ..publication import counts
from ..web import caches
from . import goals

#: A letter reopened this soon after it closed was closed by mistake: the audit trail keeps both,
#: the public timeline neither.
SLIP_MINUTES = dt.timedelta(minutes=10)


class SigningClosed(Exception):
    """The letter closed: no signature is taken (nothing is stored)."""

    def __init__(self, closed_at: dt.datetime) -> None:
        super().__init__(closed_at)
        self.closed_at = closed_at


@dataclass(frozen=True)
class Signing:
    """Whether a page offers to sign: open, paused (every letter, for a while: the emergency
    switch) or closed (this letter, since ``closed_at``). Hashable: pages are cached per state."""

    paused: bool = False
    closed_at: dt.datetime | None = None
    #: When an open letter will close (pages say so beside their Sign buttons).
    closes_at: dt.datetime | None = None

    @property
    def open(self) -> bool:
        return not self.paused and self.closed_at is None

    @property
    def form_is_a_dead_end(self) -> bool:
        """Paused, the sign form takes nothing and sends no link; closed, its page still sends a
        signer the links to their signatures (so a page pointing there for lost links keeps its link)."""
        return self.paused and self.closed_at is None


def signing_of(closes_at: dt.datetime | None, paused: bool, now: dt.datetime | None = None) -> Signing:
    closed = has_closed(closes_at, now)
    return Signing(paused=paused, closed_at=closes_at if closed else None, closes_at=None if closed else closes_at)


def has_closed(closes_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    return closes_at is not None and closes_at <= (now or utcnow())


def set_closing(letter: Letter, closes_at: dt.datetime | None, actor: AdminUser | None, actor_label: str) -> None:
    """Set or clear the closing time (now or in the past: the letter closes at once). Reopening a
    closed letter puts its closing and its reopening on the timeline, in the audit trail too."""
    now = utcnow()
    before = letter.closes_at
    if closes_at is not None and closes_at < now:
        closes_at = now if not has_closed(before, now) else before
    if closes_at == before:
        return
    reopening = has_closed(before, now) and not has_closed(closes_at, now)
    slip = reopening and before is not None and now - before <= SLIP_MINUTES
    if slip and closes_at is None:
        closes_at = _planned_before_the_slip(letter.id, now)
    if reopening and before is not None and not slip:
        db.session.add(TimelineEvent(letter_id=letter.id, kind=TimelineKind.CLOSED, key=before.isoformat(),
                                     occurred_at=before, recorded_by=actor_label))
        db.session.add(TimelineEvent(letter_id=letter.id, kind=TimelineKind.REOPENED, key=secrets.token_hex(8),
                                     occurred_at=now, recorded_by=actor_label))
    letter.closes_at = closes_at
    action = "letter.reopened" if reopening else "letter.closed" if has_closed(closes_at, now) else "letter.closing_set"
    audit.record(actor, actor_label, action, "letter", letter.id,
                 before={"closes_at": before.isoformat() if before else None},
                 after={"closes_at": closes_at.isoformat() if closes_at else None})
    db.session.commit()
    caches.clear()  # this process at once; the others within LETTER_PAGE_CACHE_SECONDS


def close_now(letter: Letter, actor: AdminUser | None, actor_label: str) -> None:
    """Close signing at this moment (the admin confirmed it); a letter already closed stays as it is."""
    set_closing(letter, utcnow(), actor, actor_label)


def _planned_before_the_slip(letter_id: int, now: dt.datetime) -> dt.datetime | None:
    """The closing time to come that the last "close now" replaced, if any: undoing a slip keeps it."""
    last = db.session.scalars(select(AuditEntry).where(
        AuditEntry.target_type == "letter", AuditEntry.target_id == letter_id, AuditEntry.action == "letter.closed",
    ).order_by(AuditEntry.id.desc()).limit(1)).first()
    planned = (last.before or {}).get("closes_at") if last is not None else None
    when = dt.datetime.fromisoformat(planned) if isinstance(planned, str) else None
    return when if when is not None and when > now else None


def set_goal(letter: Letter, goal: int | None, actor: AdminUser | None, actor_label: str) -> None:
    """Set the first goal (``None``: no goal shown). Goals the count has already passed are not
    "reached" now: only those the count gets to from here go on the timeline."""
    before = letter.goal
    if goal == before:
        return
    letter.goal = goal
    passed = goals.goals_reached(goal, counts.published_count(letter.id)) if goal else []
    if passed and (letter.goal_reached or 0) < passed[-1]:
        letter.goal_reached = passed[-1]
    audit.record(actor, actor_label, "letter.goal_set", "letter", letter.id, before={"goal": before}, after={"goal": goal})
    db.session.commit()
    caches.clear()  # this process at once; the others within LETTER_PAGE_CACHE_SECONDS
