"""Goals: the number a letter's count is shown against, raised by rule so a bar never sits full.

A letter's first goal comes from its file or an admin. Once the count reaches a goal, the next goal
is the next number of the series 1, 2, 5, 10, 20, 50, 100… above it (1, 2 or 5 times a power of
ten): a goal of 300 is followed by 500, then 1,000, 2,000, 5,000. Each goal reached goes on the
timeline once, with the time it was reached, however many moderators publish at that moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, or_, select, update

from ..extensions import db, upsert
from ..models import Letter, TimelineEvent, TimelineKind, utcnow

SERIES_STEPS = (1, 2, 5)


def next_in_series(value: int) -> int:
    """The smallest number of the series 1, 2, 5 × 10ⁿ that is greater than ``value``."""
    power = 1
    while True:
        for step in SERIES_STEPS:
            if step * power > value:
                return step * power
        power *= 10


def goals_reached(first: int, count: int) -> list[int]:
    """Every goal a count of ``count`` has reached, from the first goal ``first`` up."""
    reached = []
    goal = first
    while goal <= count:
        reached.append(goal)
        goal = next_in_series(goal)
    return reached


@dataclass(frozen=True)
class Progress:
    count: int
    goal: int

    @property
    def percent(self) -> int:
        """Rounded down, so a bar never shows 100 before the goal is reached (it is raised then)."""
        return min(99, self.count * 100 // self.goal) if self.goal else 0


def progress(first: int | None, count: int) -> Progress | None:
    """The count against the goal it is heading for; ``None`` for a letter without goals."""
    if not first or first < 1:
        return None
    goal = first
    while goal <= count:
        goal = next_in_series(goal)
    return Progress(count, goal)


def note_progress(letter_id: int, published_count: Callable[[], int]) -> None:
    """Record on the timeline the highest goal the published count has reached, if not there yet, in
    the caller's transaction (the one that published, so the time is when the count got there).
    The count is asked for only when the letter has a goal: most publications cost no sum.

    The letter row is locked by whoever publishes (``counts.touch``); the conditional update below
    lets only the first transaction past a goal write its event, and the unique key on events
    holds even if two got there."""
    first, recorded = db.session.execute(
        select(Letter.goal, Letter.goal_reached).where(Letter.id == letter_id)).one()
    if not first:
        return
    count = published_count()
    if count < first:
        return
    reached = goals_reached(first, count)
    if recorded is not None and recorded >= reached[-1]:
        return
    claimed = cast(CursorResult, db.session.execute(
        update(Letter).where(Letter.id == letter_id, or_(Letter.goal_reached.is_(None), Letter.goal_reached < reached[-1]))
        .values(goal_reached=reached[-1]).execution_options(synchronize_session=False)))
    if claimed.rowcount != 1:
        return
    now = utcnow()
    goal = reached[-1]  # goals passed in one go (an import, a bulk approval): the highest says it all
    db.session.execute(upsert(TimelineEvent).values(
        letter_id=letter_id, kind=TimelineKind.GOAL_REACHED, key=str(goal), goal=goal, occurred_at=now,
        recorded_by="", created_at=now,
    ).on_conflict_do_nothing())
