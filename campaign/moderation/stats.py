"""The operator's figures for one letter: signatures per day, confirmation, review times, the queue
and the mail, by language and by kind.

Nothing here counts the whole signature table. Per-day figures are range queries over the window's
rows through the indexes on ``(letter_id, created_at)``, ``(letter_id, verified_at)`` and
``(letter_id, decided_at)``; published per day comes from the tallies (``PublishedDay``); totals
by status read the tallies for what is published and count only the rest through
``(letter_id, status)``. What each costs at 1,000,000 signatures is in BENCHMARKS.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Date, Integer, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db
from ..mail import outbox
from ..models import PublishedDay, Signature, SignatureStatus, utcnow
from ..publication import counts
from ..web import caches
from . import queue

WINDOWS = (7, 30, 90)  # days the dashboard offers; the default is the middle one
DEFAULT_WINDOW = 30


# --- two expressions each database writes its own way ----------------------------------------------

class utc_day(FunctionElement[dt.date]):  # noqa: N801  (used as a SQL function)
    """The UTC calendar day of a timestamp (a plain date() on PostgreSQL would use the session's
    time zone)."""

    type = Date()
    inherit_cache = True


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"  # stored as UTC text


class whole_minutes(FunctionElement[int]):  # noqa: N801
    """``later - earlier`` in whole minutes (rounded to the second first, then floored)."""

    type = Integer()
    inherit_cache = True


@compiles(whole_minutes, "postgresql")
def _minutes_postgresql(element: whole_minutes, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(FLOOR(ROUND(date_part('epoch', {later} - {earlier})) / 60) AS INTEGER)"


@compiles(whole_minutes, "sqlite")
def _minutes_sqlite(element: whole_minutes, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    seconds = f"CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400.0) AS INTEGER)"
    return f"(CASE WHEN {seconds} < 0 THEN -((59 - {seconds}) / 60) ELSE {seconds} / 60 END)"


# --- the figures --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Day:
    day: dt.date
    submitted: int
    confirmed: int
    published: int  # the net change of the public list that day (hidden or withdrawn entries leave it)


@dataclass
class Group:
    """Signatures submitted in the window for one language or kind, and what became of them."""

    key: str
    submitted: int = 0
    confirmed: int = 0
    published: int = 0


@dataclass(frozen=True)
class ReviewTimes:
    """Time from confirmation to decision, for decisions in the window (nearest-rank percentiles)."""

    decisions: int
    median: dt.timedelta | None
    p95: dt.timedelta | None


@dataclass(frozen=True)
class Totals:
    """Every signature of the letter now, by status."""

    by_status: dict[SignatureStatus, int]

    @property
    def submitted(self) -> int:
        return sum(self.by_status.values())

    @property
    def confirmed(self) -> int:
        return self.submitted - self.by_status.get(SignatureStatus.PENDING, 0)


@dataclass(frozen=True)
class Dashboard:
    letter_id: int
    window: int
    as_of: dt.datetime
    days: list[Day]  # oldest first, every day of the window
    submitted: int  # in the window
    confirmed: int  # of those submitted in the window
    totals: Totals
    review: ReviewTimes
    queue_length: int
    mail: outbox.MailHealth
    by_language: list[Group] = field(default_factory=list)
    by_kind: list[Group] = field(default_factory=list)

    @property
    def start(self) -> dt.date:
        return self.days[0].day


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def window_start(window: int, now: dt.datetime) -> dt.datetime:
    """Midnight UTC ``window - 1`` days before today: the window is whole days, today included."""
    today = dt.datetime.combine(now.date(), dt.time(), dt.timezone.utc)
    return today - dt.timedelta(days=window - 1)


def dashboard(letter_id: int, window: int = DEFAULT_WINDOW, now: dt.datetime | None = None) -> Dashboard:
    now = now or utcnow()
    start = window_start(window, now)
    submitted, groups = _submitted(letter_id, start)
    confirmed = _per_day(Signature.verified_at, letter_id, start)
    published = dict(db.session.execute(select(PublishedDay.day, PublishedDay.count).where(
        PublishedDay.letter_id == letter_id, PublishedDay.day >= start.date())).all())
    days = [start.date() + dt.timedelta(days=offset) for offset in range(window)]
    by_language: dict[str, Group] = {}
    by_kind: dict[str, Group] = {}
    for (_day, language, kind), group in groups.items():
        for key, into in ((language, by_language), (kind, by_kind)):
            total = into.setdefault(key, Group(key))
            total.submitted += group.submitted
            total.confirmed += group.confirmed
            total.published += group.published
    return Dashboard(
        letter_id=letter_id, window=window, as_of=now,
        days=[Day(day, submitted.get(day, 0), confirmed.get(day, 0), published.get(day, 0)) for day in days],
        submitted=sum(group.submitted for group in groups.values()),
        confirmed=sum(group.confirmed for group in groups.values()),
        totals=totals(letter_id), review=review_times(letter_id, start), queue_length=queue.waiting_count(letter_id),
        mail=outbox.health(now),
        by_language=sorted(by_language.values(), key=lambda group: (-group.submitted, group.key)),
        by_kind=sorted(by_kind.values(), key=lambda group: group.key),
    )


def _submitted(letter_id: int, start: dt.datetime) -> tuple[dict[dt.date, int], dict[tuple, Group]]:
    """Signatures submitted since ``start``, per day and per (day, language, kind), with how many of
    them were confirmed and are published now: one range query over the window's rows."""
    day = utc_day(Signature.created_at)
    rows = db.session.execute(
        select(day, Signature.language, Signature.kind, func.count(), func.count(Signature.verified_at),
               func.count().filter(Signature.status == SignatureStatus.PUBLISHED))
        .where(Signature.letter_id == letter_id, Signature.created_at >= start)
        .group_by(day, Signature.language, Signature.kind)
    )
    per_day: dict[dt.date, int] = {}
    groups: dict[tuple, Group] = {}
    for when, language, kind, submitted, confirmed, published in rows:
        per_day[when] = per_day.get(when, 0) + submitted
        groups[(when, language, kind.value)] = Group(language, submitted, confirmed, published)
    return per_day, groups


def _per_day(column: Any, letter_id: int, start: dt.datetime) -> dict[dt.date, int]:
    day = utc_day(column)
    return dict(db.session.execute(
        select(day, func.count()).where(Signature.letter_id == letter_id, column >= start).group_by(day)
    ).all())


def review_times(letter_id: int, start: dt.datetime) -> ReviewTimes:
    """Median and 95th percentile (nearest rank) of confirmation-to-decision times for decisions
    since ``start``, to the minute: the window's decisions counted per whole minute of waiting
    through the index on ``(letter_id, decided_at, verified_at)``, then ranked here. No sort of
    every duration, and exact at the precision the page shows."""
    minutes = whole_minutes(Signature.decided_at, Signature.verified_at)
    histogram = db.session.execute(
        select(minutes, func.count())
        .where(Signature.letter_id == letter_id, Signature.decided_at >= start, Signature.verified_at.is_not(None))
        .group_by(minutes)
    ).all()
    decisions = sum(count for _, count in histogram)
    if not decisions:
        return ReviewTimes(0, None, None)
    return ReviewTimes(decisions, *(dt.timedelta(minutes=max(0, value_at_rank(histogram, nearest_rank(fraction, decisions))))
                                    for fraction in (0.5, 0.95)))


def value_at_rank(histogram: Sequence[tuple[int, int]], rank: int) -> int:
    """The ``rank``-th smallest value (1-based) of values given as (value, how many times)."""
    seen = 0
    for value, count in sorted(histogram):
        seen += count
        if seen >= rank:
            return value
    raise ValueError("rank beyond the values")


def nearest_rank(fraction: float, count: int) -> int:
    """The 1-based rank of a percentile in ``count`` sorted values: the smallest value with at least
    ``fraction`` of the values at or below it."""
    return max(1, min(count, -(-int(round(fraction * 100)) * count // 100)))


def totals(letter_id: int) -> Totals:
    """The letter's signatures by status: what is published from the tallies, the rest counted
    through the index on ``(letter_id, status)`` (a minority of rows once a campaign is under way)."""
    unpublished = [status for status in SignatureStatus if status is not SignatureStatus.PUBLISHED]
    found = dict(db.session.execute(
        select(Signature.status, func.count()).where(Signature.letter_id == letter_id,
                                                     Signature.status.in_(unpublished))
        .group_by(Signature.status)
    ).all())
    found[SignatureStatus.PUBLISHED] = counts.published_count(letter_id)
    return Totals({status: found.get(status, 0) for status in SignatureStatus})


def cached_dashboard(letter_id: int, window: int) -> Dashboard:
    """The dashboard as computed at most ``STATS_CACHE_SECONDS`` ago by this process (the page says
    when): at 1,000,000 signatures a computation reads a window's worth of index entries."""
    key = caches.dashboard_key(letter_id, window)
    found: Dashboard | None = caches.get(key)
    if found is None:
        found = caches.put(key, dashboard(letter_id, window), current_app.config["STATS_CACHE_SECONDS"])
    return found
