"""Dates as each language writes them, the first of a month included ("1er décembre", "1º de
dezembro"), on the pages as in the helpers every page uses."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from sqlalchemy import update

from campaign.models import Letter
from campaign.web import dates

FIRST = dt.datetime(2026, 12, 1, 9, 5, tzinfo=dt.timezone.utc)
SECOND = dt.datetime(2026, 12, 2, 9, 5, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(("locale", "first", "second"), [
    ("fr", "1er décembre 2026", "2 décembre 2026"),
    ("pt", "1º de dezembro de 2026", "2 de dezembro de 2026"),
    ("en", "December 1, 2026", "December 2, 2026"),
    ("es", "1 de diciembre de 2026", "2 de diciembre de 2026"),
    ("de", "1. Dezember 2026", "2. Dezember 2026"),
])
def test_the_first_of_a_month_is_written_as_each_language_writes_it(app, locale, first, second):
    with app.test_request_context("/"), force_locale(locale):
        assert dates.date(FIRST.date(), "long") == first
        assert dates.date(SECOND.date(), "long") == second
        assert dates.date(FIRST, "long") == first, "a moment's date as well"
        assert dates.moment(FIRST, "medium").startswith(dates.date(FIRST, "medium"))
        assert dates.to_the_minute(FIRST).startswith(first)


def test_only_a_day_before_the_month_in_words_becomes_an_ordinal(app):
    with app.test_request_context("/"), force_locale("fr"):
        assert dates.date(FIRST.date(), "medium") == "1er déc. 2026"
        assert dates.date(FIRST.date(), "short") == "01/12/2026", "a date in figures stays in figures"
        assert dates.date(FIRST.date(), "full") == "mardi 1er décembre 2026"
        assert dates.date(FIRST.date(), "d/M") == "1/12", "a pattern of the caller's own is left as it is"
    with app.test_request_context("/"), force_locale("pt"):
        assert dates.moment(FIRST, "medium") == "1º de dez. de 2026 09:05:00"


@pytest.mark.parametrize(("lang", "published"), [("fr", "1er décembre 2026"), ("pt", "1º de dezembro de 2026"),
                                                 ("en", "December 1, 2026")])
def test_the_letter_page_says_when_it_was_published_in_the_readers_words(app, client, db, lang, published):
    db.session.execute(update(Letter).values(published_on=FIRST.date()))
    db.session.commit()
    assert published in client.get(f"/{lang}/").get_data(as_text=True)


def test_every_time_element_holds_a_datetime_html_accepts(app, client, db):
    """HTML's ``datetime`` attribute takes at most three digits of a second's fraction; Python's
    ``isoformat`` writes six (the versions page carried ``…21:21:35.476313+00:00``)."""
    import re

    valid = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?")
    seen = []
    for path in ("/fr/versions", "/fr/timeline", "/fr/"):
        html = client.get(path).get_data(as_text=True)
        seen += re.findall(r'<time datetime="([^"]*)"', html)
    assert seen and all(valid.fullmatch(value) for value in seen), seen
