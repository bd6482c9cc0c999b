"""The operator's dashboard (issue 17): its figures equal counts taken from the table itself."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from sqlalchemy import select

from campaign.models import Letter, OutboxMessage, OutboxStatus, Signature, SignatureStatus, utcnow
from campaign.moderation import stats
from campaign.publication import counts

from .factories import log_in, make_admin, make_signature, published, shipped_letter

NOW = utcnow()
NOON_YESTERDAY = dt.datetime.combine(NOW.date() - dt.timedelta(days=1), dt.time(12), dt.timezone.utc)


def at(days_ago: int, minutes: int = 0) -> dt.datetime:
    return NOON_YESTERDAY - dt.timedelta(days=days_ago - 1) + dt.timedelta(minutes=minutes)


#: (days ago submitted, status, kind, language, minutes to confirm, minutes from confirmation to decision)
CAMPAIGN = [
    (1, "pending", "individual", "en", None, None),
    (1, "verified", "individual", "ar", 5, None),
    (1, "published", "organisation", "ar", 30, 95),
    (2, "published", "individual", "es", 2, 600),
    (2, "published", "individual", "en", 1, 20),
    (2, "rejected", "organisation", "en", 10, 3000),
    (3, "pending", "organisation", "es", None, None),
    (3, "published", "individual", "ar", 60, 1440 * 2 + 7),
    (5, "verified", "individual", "en", 0, None),
    (5, "published", "individual", "en", 15, 45),
    (6, "hidden", "organisation", "ar", 3, 120),
    (7, "pending", "individual", "es", None, None),  # in the last 30 days, not in the last 7
    (40, "published", "individual", "en", 1, 10),  # before the window: only in the totals
]


@pytest.fixture
def campaign(app, db):
    """Signatures across days, languages, kinds and statuses with known times, then the tallies as
    `rebuild_counts` makes them from the table (and one approval made live, as moderators do)."""
    letter = shipped_letter()
    for number, (days_ago, status, kind, language, to_confirm, to_decide) in enumerate(CAMPAIGN):
        created = at(days_ago, minutes=number)
        verified = created + dt.timedelta(minutes=to_confirm, seconds=number) if to_confirm is not None else None
        decided = verified + dt.timedelta(minutes=to_decide) if verified and to_decide is not None else None
        make_signature(status=status, kind=kind, language=language, created_at=created, verified_at=verified,
                       decided_at=decided, published_at=decided if status in ("published", "hidden") else None)
    counts.rebuild_counts(letter.id)
    db.session.commit()
    published(language="es")  # submitted, confirmed, decided and published today
    other = Letter(slug="another-letter", original_language="en", published_on=dt.date(2020, 1, 1),
                   contact="x@example.org")  # older: the shipped letter stays the featured one
    db.session.add(other)
    db.session.commit()
    make_signature(letter_id=other.id, created_at=at(1))  # another letter's: never counted here
    return letter


def table_figures(db, letter_id: int, start: dt.datetime) -> dict:
    """What the dashboard should say, counted row by row in Python."""
    rows = list(db.session.scalars(select(Signature).where(Signature.letter_id == letter_id)))
    window = [row for row in rows if row.created_at >= start]
    decided = [row for row in rows if row.decided_at and row.decided_at >= start and row.verified_at]
    minutes = sorted(int(round((row.decided_at - row.verified_at).total_seconds())) // 60 for row in decided)

    def rank(fraction: float) -> dt.timedelta:
        return dt.timedelta(minutes=minutes[max(1, -(-int(fraction * 100) * len(minutes) // 100)) - 1])

    def groups(key) -> dict:
        found: dict = {}
        for row in window:
            group = found.setdefault(key(row), [0, 0, 0])
            group[0] += 1
            group[1] += row.verified_at is not None
            group[2] += row.status is SignatureStatus.PUBLISHED
        return found

    return {
        "submitted": Counter(row.created_at.date() for row in window),
        "confirmed": Counter(row.verified_at.date() for row in rows if row.verified_at and row.verified_at >= start),
        "published": Counter(row.published_at.date() for row in rows
                             if row.status is SignatureStatus.PUBLISHED and row.published_at >= start),
        "window": (len(window), sum(row.verified_at is not None for row in window)),
        "statuses": Counter(row.status for row in rows),
        "review": (len(minutes), rank(0.5), rank(0.95)),
        "queue": sum(row.status is SignatureStatus.VERIFIED or (row.status is SignatureStatus.PUBLISHED
                                                                 and row.correction_at is not None) for row in rows),
        "languages": groups(lambda row: row.language),
        "kinds": groups(lambda row: row.kind.value),
    }


def test_the_dashboard_equals_counts_taken_from_the_table(app, db, campaign):
    figures = stats.dashboard(campaign.id, 30, utcnow())
    expected = table_figures(db, campaign.id, dt.datetime.combine(figures.start, dt.time(), dt.timezone.utc))
    assert len(figures.days) == 30 and figures.days[-1].day == utcnow().date()
    for column in ("submitted", "confirmed", "published"):
        assert {day.day: getattr(day, column) for day in figures.days if getattr(day, column)} == expected[column], column
    assert sum(expected["submitted"].values()) == 13, "twelve in the window and today's approval"
    assert (figures.submitted, figures.confirmed) == expected["window"] == (13, 10)
    assert stats.rate(figures.confirmed, figures.submitted) == pytest.approx(10 / 13)
    assert figures.totals.by_status == {status: expected["statuses"][status] for status in SignatureStatus}
    assert (figures.totals.submitted, figures.totals.confirmed) == (14, 11)
    assert (figures.review.decisions, figures.review.median, figures.review.p95) == expected["review"]
    assert figures.review.decisions == 8 and figures.review.median == dt.timedelta(minutes=95)
    assert figures.review.p95 == dt.timedelta(minutes=3000)
    assert figures.queue_length == expected["queue"] == 2
    assert {group.key: [group.submitted, group.confirmed, group.published] for group in figures.by_language} \
        == expected["languages"]
    assert {group.key: [group.submitted, group.confirmed, group.published] for group in figures.by_kind} \
        == expected["kinds"]


def test_a_shorter_window_leaves_older_days_out(app, db, campaign):
    figures = stats.dashboard(campaign.id, 7, utcnow())
    expected = table_figures(db, campaign.id, dt.datetime.combine(figures.start, dt.time(), dt.timezone.utc))
    assert len(figures.days) == 7
    assert {day.day: day.submitted for day in figures.days if day.submitted} == expected["submitted"]
    assert figures.submitted == 12, "the signature of six days ago is in, the one of seven days ago is not"


def test_mail_backlog_failures_and_the_oldest_unsent_message(app, db):
    now = utcnow()

    def message(number: int, status: OutboxStatus, created: dt.datetime, due: dt.datetime, attempts: int = 0) -> None:
        db.session.add(OutboxMessage(kind="verification", status=status, message_id=f"<m{number}@test>",
                                     created_at=created, next_attempt_at=due, attempts=attempts))

    message(1, OutboxStatus.PENDING, now - dt.timedelta(hours=3), now - dt.timedelta(hours=3))
    message(2, OutboxStatus.PENDING, now - dt.timedelta(hours=5), now + dt.timedelta(minutes=5), attempts=2)  # retrying
    message(3, OutboxStatus.PENDING, now - dt.timedelta(hours=20), now + dt.timedelta(hours=4))  # a reminder, later
    message(4, OutboxStatus.FAILED, now - dt.timedelta(days=1), now)
    message(5, OutboxStatus.FAILED, now - dt.timedelta(days=9), now)  # before the seven days shown
    message(6, OutboxStatus.SENT, now - dt.timedelta(days=2), now)
    db.session.commit()
    mail = stats.dashboard(shipped_letter().id, 30, now).mail
    assert (mail.waiting, mail.scheduled, mail.failed_recently) == (2, 1, 1)
    assert mail.oldest_waiting == now - dt.timedelta(hours=5)


@pytest.mark.parametrize(("fraction", "count", "rank"), [(0.5, 1, 1), (0.5, 2, 1), (0.5, 3, 2), (0.5, 10, 5),
                                                         (0.95, 10, 10), (0.95, 20, 19), (0.95, 100, 95)])
def test_nearest_rank(fraction, count, rank):
    assert stats.nearest_rank(fraction, count) == rank


def test_anonymous_readers_are_sent_to_log_in(app, client):
    answer = client.get("/admin/stats")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/admin/login")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_moderator_reads_the_dashboard(app, db, client, campaign, lang):
    assert log_in(client, make_admin()).status_code == 302
    app.config["STATS_CACHE_SECONDS"] = 0
    answer = client.get("/admin/stats?days=7", headers={"Accept-Language": lang})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    html = answer.get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}"' in html
    assert html.count('<polyline') == 3 * 2 + 3, "three lines in each of the chart's two drawings, three in its legend"
    assert 'style="' not in html, "no inline style: the CSP forbids it"
    assert 'UTC' in html, "times say their zone"
    rows = re.findall(r'<tr><th scope="row">[^<]+</th><td>(\d+)</td><td>(\d+)</td><td>(-?\d+)</td></tr>', html)
    figures = stats.dashboard(campaign.id, 7, utcnow())
    assert [tuple(map(int, row)) for row in rows] == [(day.submitted, day.confirmed, day.published)
                                                     for day in reversed(figures.days)]
    assert '<option value="another-letter">another-letter</option>' in html, "a letter to choose"
    other = client.get("/admin/stats?days=7&letter=another-letter").get_data(as_text=True)
    assert "<caption>" in other and other.count('<td data-label="Submitted">') == 2 + 0, \
        "its one signature, once by language and once by kind"


def test_the_time_axis_runs_right_to_left_in_arabic(app):
    from campaign.publication import charts

    days = [dt.date(2026, 1, 1) + dt.timedelta(days=offset) for offset in range(3)]
    line = charts.Series("Submitted", [1, 2, 3], "#000")
    ltr = charts.daily_chart(days, [line], "label", str, str)
    rtl = charts.daily_chart(days, [line], "label", str, str, rtl=True)

    def first_point(svg: str) -> float:
        return float(re.search(r'<polyline points="([\d.]+),', svg).group(1))

    assert first_point(ltr) < 320 < first_point(rtl), "the first day on the left in English, on the right in Arabic"


def test_decisions_within_a_minute_read_as_such(app, db, client):
    """Times are counted in whole minutes: a few seconds' wait once read "0 seconds"."""
    for number in range(3):
        verified = at(1, minutes=number)
        make_signature(status="published", verified_at=verified, decided_at=verified + dt.timedelta(seconds=15),
                       published_at=verified + dt.timedelta(seconds=15))
    assert log_in(client, make_admin()).status_code == 302
    app.config["STATS_CACHE_SECONDS"] = 0
    html = client.get("/admin/stats?days=7").get_data(as_text=True)
    assert html.count("under a minute") == 2 and "0 seconds" not in html
