"""The list's change feed: an Atom feed per letter and language of each day's new organisations
(name, country, website) and how many individuals, and the API's cursor-paginated list of the same
changes since a time."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ElementTree

import pytest
from sqlalchemy import update

from campaign.models import Signature
from campaign.moderation import decisions as moderation

from .factories import LTR_AND_RTL, make_admin, published, translated, translated_plural
from .test_api import check, document  # noqa: F401  (a fixture)
from .test_timeline import ATOM, check_atom

FEED = "/{lang}/letters/ban-biometric-surveillance/changes.atom"
API = "/api/v1/letters/ban-biometric-surveillance/changes"
DAY_ONE = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone.utc)
DAY_TWO = dt.datetime(2026, 11, 3, 15, 0, tzinfo=dt.timezone.utc)


def published_at(db, moment: dt.datetime, **fields) -> Signature:
    signature = published(**fields)
    db.session.execute(update(Signature).where(Signature.id == signature.id).values(published_at=moment, updated_at=moment))
    db.session.commit()
    return signature


@pytest.fixture
def two_days(db):
    published_at(db, DAY_ONE, organisation="Own Domain Collective", country="LB", email="press@sub.example.org",
                 website="https://example.org")
    published_at(db, DAY_ONE + dt.timedelta(minutes=5), kind="individual", name="Ana Souza", country="BR")
    published_at(db, DAY_ONE + dt.timedelta(minutes=6), kind="individual", name="Unnamed", consent_publish=False)
    published_at(db, DAY_TWO, organisation="Second Day Network", country="EG", website="https://second.example")
    published_at(db, DAY_TWO + dt.timedelta(hours=1), kind="individual", name="Jean Dupont", country="FR")


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_the_feed_is_valid_atom_with_a_days_organisations_and_count_of_individuals(app, client, db, two_days, lang):
    response = client.get(FEED.format(lang=lang))
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    assert response.headers["Cache-Control"] == app.config["PUBLIC_CACHE_CONTROL"] and response.headers["ETag"]
    assert client.get(FEED.format(lang=lang), headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    root = ElementTree.fromstring(response.get_data())
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    entries = check_atom(response.get_data())
    assert [entry.findtext(f"{ATOM}id") for entry in entries] == [
        f"https://campaign.example/{lang}/letters/ban-biometric-surveillance/signatories#published-2026-11-03",
        f"https://campaign.example/{lang}/letters/ban-biometric-surveillance/signatories#published-2026-11-02"]
    assert entries[0].findtext(f"{ATOM}updated") == "2026-11-03T16:00:00+00:00"
    assert entries[1].findtext(f"{ATOM}published") == "2026-11-02T09:30:00+00:00"
    newest, oldest = (entry.findtext(f"{ATOM}content") for entry in entries)
    assert "Second Day Network" in newest and "https://second.example" in newest
    assert "Own Domain Collective" in oldest and "https://example.org" in oldest
    assert translated(app, lang, "Verified domain") in oldest and translated(app, lang, "Verified domain") not in newest
    assert "Ana Souza" not in oldest and "Unnamed" not in oldest, "individuals are counted, never named here"
    counted = oldest.splitlines()[-1]  # two new individuals that day, as the language writes 2
    assert counted == translated_plural(app, lang, "%(num)s new individual", "%(num)s new individuals", 2)
    assert root.findtext(f"{ATOM}updated") == "2026-11-03T16:00:00+00:00"


def test_the_list_page_points_to_the_feed(app, client, db, two_days):
    html = client.get("/en/letters/ban-biometric-surveillance/signatories").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml" href="/en/letters/ban-biometric-surveillance/changes.atom"' in html
    assert 'href="/en/letters/ban-biometric-surveillance/changes.atom" type="application/atom+xml"' in html
    featured = client.get("/en/changes.atom")  # the featured letter's short address, like its other pages
    assert featured.status_code == 200
    assert [entry.findtext(f"{ATOM}content") for entry in check_atom(featured.get_data())] == \
        [entry.findtext(f"{ATOM}content") for entry in check_atom(client.get(FEED.format(lang="en")).get_data())]


def test_an_empty_list_gives_a_valid_empty_feed(app, client, db):
    response = client.get(FEED.format(lang="en"))
    assert response.status_code == 200 and check_atom(response.get_data()) == []


def test_an_entry_taken_off_the_list_leaves_the_feed(app, client, db, two_days):
    second = db.session.query(Signature).filter_by(organisation="Second Day Network").one()
    moderation.hide(second.id, make_admin("hide@campaign.example"), "duplicate")
    content = client.get(FEED.format(lang="en")).get_data(as_text=True)
    assert "Second Day Network" not in content and "Own Domain Collective" in content


def test_a_day_whose_entry_was_taken_off_is_updated_so_feed_readers_fetch_it_again(app, client, db, two_days):
    """A feed reader refreshes an entry, and the feed, only when their ``updated`` moves: taking
    someone off the list (even an individual, who shows only in the count) must move them."""
    before = check_atom(client.get(FEED.format(lang="en")).get_data())
    assert [entry.findtext(f"{ATOM}updated") for entry in before] == [
        "2026-11-03T16:00:00+00:00", "2026-11-02T09:36:00+00:00"]
    ana = db.session.query(Signature).filter_by(name="Ana Souza").one()
    moderation.hide(ana.id, make_admin("hide@campaign.example"), "asked by phone")
    feed = client.get(FEED.format(lang="en")).get_data()
    newest, oldest = check_atom(feed)
    assert newest.findtext(f"{ATOM}updated") == "2026-11-03T16:00:00+00:00"  # nothing changed that day
    hidden_at = db.session.get(Signature, ana.id).updated_at
    assert dt.datetime.fromisoformat(oldest.findtext(f"{ATOM}updated")) == hidden_at.replace(microsecond=0) or \
        dt.datetime.fromisoformat(oldest.findtext(f"{ATOM}updated")) == hidden_at
    feed_updated = ElementTree.fromstring(feed).findtext(f"{ATOM}updated")
    assert dt.datetime.fromisoformat(feed_updated) == dt.datetime.fromisoformat(oldest.findtext(f"{ATOM}updated"))


def test_taking_off_a_days_only_entry_still_moves_the_feeds_time(app, client, db, two_days):
    before = ElementTree.fromstring(client.get(FEED.format(lang="en")).get_data()).findtext(f"{ATOM}updated")
    moderator = make_admin("hide@campaign.example")
    for name in ("Second Day Network", "Jean Dupont"):
        row = db.session.query(Signature).filter((Signature.organisation == name) | (Signature.name == name)).one()
        moderation.hide(row.id, moderator, "duplicate")
    feed = client.get(FEED.format(lang="en")).get_data()
    assert len(check_atom(feed)) == 1  # the second day has nothing left to show
    after = ElementTree.fromstring(feed).findtext(f"{ATOM}updated")
    assert dt.datetime.fromisoformat(after) > dt.datetime.fromisoformat(before)


def test_the_api_pages_through_the_changes_and_the_counts_add_up(app, client, db, document):  # noqa: F811
    start = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    for number in range(5):
        moment = start + dt.timedelta(hours=number)
        published_at(db, moment, organisation=f"Organisation {number}", website=f"https://org{number}.example")
        published_at(db, moment + dt.timedelta(minutes=30), kind="individual", name=f"Person {number}")
        if number == 2:
            published_at(db, moment, kind="individual", name="Same Time Person")  # a tie on time, after by id
    seen, individuals, url = [], [], API + "?limit=2"
    while url:
        response = client.get(url.removeprefix("https://campaign.example"))
        assert response.status_code == 200
        check(document, response, "ChangesPage")
        body = response.json
        seen += [entry["organisation"] for entry in body["data"]]
        individuals.append(body["individuals"])
        url = body["links"]["next"]
        assert (body["next_cursor"] is None) == (url is None) == (body["until"] is None)
    assert seen == [f"Organisation {number}" for number in range(5)]
    assert individuals == [1, 3, 2] and sum(individuals) == 6  # each page counts its own span, ties by id
    since = client.get(API + "?since=2026-11-01T02:00:00Z").json
    assert [entry["organisation"] for entry in since["data"]] == ["Organisation 2", "Organisation 3", "Organisation 4"]
    assert since["individuals"] == 4 and since["next_cursor"] is None
    assert since["data"][0]["published_at"] == "2026-11-01T02:00:00Z" and since["data"][0]["kind"] == "organisation"
    assert client.get(API + "?since=2026-11-02").json == {"data": [], "individuals": 0, "until": None,
                                                         "next_cursor": None, "links": {"next": None}}


@pytest.mark.parametrize("query", ["since=yesterday", "since=2026-13-01", "cursor=not-a-cursor", "limit=0"])
def test_the_api_refuses_what_it_cannot_read(app, client, db, query):
    response = client.get(f"{API}?{query}")
    assert response.status_code == 400 and response.json["error"]["status"] == 400


def test_the_letter_links_to_its_changes(app, client, db):
    links = client.get("/api/v1/letters/ban-biometric-surveillance").json["links"]
    assert links["changes"] == "https://campaign.example" + API
    assert links["changes_atom"]["ar"] == "https://campaign.example" + FEED.format(lang="ar")
