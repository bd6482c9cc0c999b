"""A letter's lifecycle: it closes at its closing time (the clock is moved, nobody sleeps), refuses
signatures with a page that says so while its list, API and links already sent keep working, is
reopened by an admin (audit trail and timeline), and passes goals that are each recorded once."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select

from campaign.lifecycle import closing, goals
from campaign.models import AuditEntry, Letter, Signature, TimelineEvent, TimelineKind, utcnow

from .factories import (
    LTR_AND_RTL,
    SHIPPED_LETTER,
    csrf_token,
    form_fields,
    links_in,
    log_in,
    make_admin,
    make_signature,
    published,
    shipped_letter,
    sign,
    signature_data,
    translated,
    write_letter_file,
)


def move_clock(monkeypatch, to: dt.datetime) -> None:
    """Every rule that asks whether a letter has closed reads this clock."""
    monkeypatch.setattr(closing, "utcnow", lambda: to)


def close_in_an_hour(db) -> dt.datetime:
    letter = shipped_letter()
    letter.closes_at = utcnow().replace(microsecond=0) + dt.timedelta(hours=1)
    db.session.commit()
    return letter.closes_at


def signatures() -> int:
    from campaign.extensions import db

    return db.session.scalar(select(func.count()).select_from(Signature))


def test_series_of_goals():
    assert [goals.next_in_series(value) for value in (0, 1, 2, 4, 5, 99, 100, 300, 999, 1000, 4999)] == \
        [1, 2, 5, 5, 10, 100, 200, 500, 1000, 2000, 5000]
    assert goals.goals_reached(300, 1200) == [300, 500, 1000]
    assert goals.progress(300, 299).goal == 300
    assert goals.progress(300, 300).goal == 500  # a bar never sits full
    assert goals.progress(300, 499).percent == 99
    assert goals.progress(None, 10) is None


def test_the_letter_closes_at_its_closing_time(app, client, db, monkeypatch):
    closes_at = close_in_an_hour(db)
    assert 'href="/en/sign"' in client.get("/en/timeline").get_data(as_text=True)  # before: the pages offer to sign
    assert sign(client).status_code == 303  # before: signing works
    pending = db.session.scalars(select(Signature)).one()
    assert pending.status.value == "pending"

    move_clock(monkeypatch, closes_at + dt.timedelta(seconds=1))
    page = client.get("/en/sign")
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert "Signing is closed" in html and "Nothing you sent was stored" not in html
    posted = client.post("/en/sign", data={**signature_data(email="late@example.org")})
    assert posted.status_code == 410
    assert "Nothing you sent was stored" in posted.get_data(as_text=True)
    assert signatures() == 1  # nothing stored

    letter_page = client.get("/en/").get_data(as_text=True)
    assert "Signing closed on" in letter_page and 'href="/en/sign"' not in letter_page
    assert 'href="/en/sign"' not in client.get("/en/signatories").get_data(as_text=True)
    timeline_page = client.get("/en/timeline").get_data(as_text=True)
    assert "Signing closed on" in timeline_page and 'href="/en/sign"' not in timeline_page
    counter = client.get(f"/embed/{SHIPPED_LETTER}/counter?lang=en").get_data(as_text=True)
    assert "Signing closed on" in counter and "/sign" not in counter
    # The list, the API, the CSV and the timeline keep working.
    assert client.get("/en/signatories").status_code == 200
    assert client.get(f"/en/letters/{SHIPPED_LETTER}/signatories.csv").status_code == 200
    assert client.get("/en/print").status_code == 200  # the delivery pack's page
    letter = client.get(f"/api/v1/letters/{SHIPPED_LETTER}").get_json()
    assert letter["signing"] == {"open": False, "paused": False, "closes_at": closes_at.isoformat().replace("+00:00", "Z")}
    assert letter["stage"] == "closed"
    timeline = client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"]
    assert [event["kind"] for event in timeline] == ["closed", "published"]



def test_the_closed_page_sends_the_links_of_signatures_made_before_closing(app, client, db, smtp, monkeypatch):
    """The closed sign page asks for an address to send its signatures' links to, with no cookie
    set and none needed: a reader who lost the email sends it from a fresh browser."""
    closes_at = close_in_an_hour(db)
    sign(client, email="before@example.org")
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    move_clock(monkeypatch, closes_at + dt.timedelta(seconds=1))
    client.delete_cookie("session")
    closed = client.get("/en/sign")
    assert closed.status_code == 410 and "Set-Cookie" not in closed.headers, "an old Sign link sets no cookie"
    assert 'name="csrf_token"' not in closed.get_data(as_text=True)
    sent = client.post("/en/sign/send-again", data={"email": "before@example.org"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/en/sign?links=sent")
    assert "If this address signed the letter" in client.get(sent.headers["Location"]).get_data(as_text=True)
    refused = client.post("/en/sign/send-again", data={"email": "not an address"})
    assert refused.status_code == 422 and 'value="not an address"' in refused.get_data(as_text=True)


def test_a_closed_letter_still_makes_its_delivery_pack(app, db, monkeypatch, tmp_path):
    """Closing is when a letter is handed over: its pack is made from the list as it closed."""
    import json

    published(organisation="Closed Letter Group", country="KE")
    published(kind="individual", name="Closed Letter Person", organisation=None, country="BR")
    closes_at = close_in_an_hour(db)
    move_clock(monkeypatch, closes_at + dt.timedelta(days=2))
    assert closing.has_closed(shipped_letter().closes_at)
    result = app.test_cli_runner().invoke(args=["letters", "pack", SHIPPED_LETTER, "--lang", "en",
                                                "--output", str(tmp_path / "pack")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "pack" / f"{SHIPPED_LETTER}-en-manifest.json").read_text(encoding="utf-8"))
    assert manifest["count"]["listed"] == 2 and manifest["count"]["total"] == 2
    csv_text = (tmp_path / "pack" / f"{SHIPPED_LETTER}-en-signatories.csv").read_text(encoding="utf-8-sig")
    assert "Closed Letter Group" in csv_text and "Closed Letter Person" in csv_text
    assert (tmp_path / "pack" / f"{SHIPPED_LETTER}-en-signatories.pdf").read_bytes().startswith(b"%PDF")


def test_a_signature_made_before_closing_can_still_be_confirmed(app, client, db, smtp, monkeypatch):
    closes_at = close_in_an_hour(db)
    assert sign(client).status_code == 303
    from campaign.mail import delivery

    assert delivery.deliver_due().sent == 1
    confirm = links_in(smtp.wait_for(1)[0].text)["confirm"]
    move_clock(monkeypatch, closes_at + dt.timedelta(minutes=5))
    page = client.get(confirm)
    assert page.status_code == 200
    token = csrf_token(client, confirm)
    assert client.post(confirm, data={"csrf_token": token}).status_code == 303
    assert db.session.scalars(select(Signature)).one().status.value != "pending"
    # An expired link is not renewed once closed: the closed page answers, nothing is sent.
    from campaign.models import SignatureToken, TokenPurpose

    for token_row in db.session.scalars(select(SignatureToken).where(SignatureToken.purpose == TokenPurpose.CONFIRM)):
        token_row.expires_at = utcnow() - dt.timedelta(hours=1)
    db.session.commit()
    renewed = client.post(f"{confirm}/renew", data={"csrf_token": csrf_token(client, "/admin/login"),
                                                     "email": signature_data()["email"]})
    assert renewed.status_code == 410


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_the_closed_page_is_translated(app, client, db, monkeypatch, lang):
    closes_at = close_in_an_hour(db)
    form = client.get(f"/{lang}/sign").get_data(as_text=True)  # open when the reader opened the form
    move_clock(monkeypatch, closes_at + dt.timedelta(days=1))
    html = client.get(f"/{lang}/sign").get_data(as_text=True)
    assert translated(app, lang, "Signing is closed") in html
    assert f'lang="{lang}"' in html
    # The form sent after closing: the same page, in the form's language, saying nothing was kept.
    posted = client.post(f"/{lang}/sign", data={**form_fields(form), **signature_data(email="late@example.org")})
    assert posted.status_code == 410
    answer = posted.get_data(as_text=True)
    for message in ("Signing is closed", "Nothing you sent was stored.",
                    "If you signed before then, the link in your email still confirms your signature until it expires."):
        assert translated(app, lang, message) in answer, message
    assert f'lang="{lang}"' in answer and "Nothing you sent was stored." not in answer
    assert signatures() == 0


def test_an_admin_closes_and_reopens_signing_in_the_browser(app, client, db):
    admin = make_admin("admin@campaign.example", role="admin")
    log_in(client, admin)
    page = f"/admin/letters/{SHIPPED_LETTER}"
    assert client.get(page).status_code == 200
    token = csrf_token(client, page)
    client.post(f"{page}/close-now", data={"csrf_token": token})
    assert client.get("/en/sign").status_code == 410
    assert "Nothing you sent was stored" not in client.get("/en/sign").get_data(as_text=True)  # nothing was sent
    client.post(f"{page}/closing", data={"csrf_token": token, "action": "reopen"})
    assert client.get("/en/sign").status_code == 200
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "letter")).all()
    assert actions == ["letter.closed", "letter.reopened"]
    # Reopened within minutes: a slip, in the audit trail but not on the public timeline.
    kinds = [event["kind"] for event in client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"]]
    assert kinds == ["published"]
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "Signing reopened" in audit and "Closing date (UTC)" in audit


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_close_now_asks_first_and_nothing_changes_until_confirmed(app, client, db, lang):
    log_in(client, make_admin("admin@campaign.example", role="admin"))
    headers = {"Accept-Language": lang}
    page = f"/admin/letters/{SHIPPED_LETTER}"
    html = client.get(page, headers=headers).get_data(as_text=True)
    assert f'href="{page}/close-now"' in html and 'value="close-now"' not in html  # a link to a page that asks

    asking = client.get(f"{page}/close-now", headers=headers)
    assert asking.status_code == 200
    question = asking.get_data(as_text=True)
    assert translated(app, lang, "Close signing now?") in question
    assert "calling for a global ban on biometric recognition" in question  # which letter, in its own language
    assert re.search(r'<form method="post" class="button-row">\s*<input id="csrf_token"', question)
    assert f'<a class="button button--secondary" href="{page}">{translated(app, lang, "Cancel")}</a>' in question
    assert client.get(page).status_code == 200  # what Cancel leads to
    # A page of before the confirmation posts "close-now" with the date form: it is asked too.
    stale = client.post(f"{page}/closing", data={"csrf_token": csrf_token(client, page), "action": "close-now"})
    assert stale.status_code == 303 and stale.headers["Location"] == f"{page}/close-now"
    assert client.post(f"{page}/close-now").status_code == 400  # no CSRF token, no closing
    assert shipped_letter().closes_at is None and client.get("/en/sign").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.target_type == "letter")) == 0

    confirmed = client.post(f"{page}/close-now", data={"csrf_token": csrf_token(client, f"{page}/close-now")},
                            headers=headers, follow_redirects=True)
    assert translated(app, lang, "Signing is closed.") in confirmed.get_data(as_text=True)
    assert client.get("/en/sign").status_code == 410
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "letter")).all() == ["letter.closed"]
    # Closed already: there is nothing to ask, and the page that asked has gone back to the letter's.
    assert client.get(f"{page}/close-now").headers["Location"] == page


def test_close_now_then_reopen_undoes_the_slip_and_keeps_the_planned_date(app, client, db):
    log_in(client, make_admin("admin@campaign.example", role="admin"))
    page = f"/admin/letters/{SHIPPED_LETTER}"
    planned = dt.datetime(dt.date.today().year + 2, 3, 8, 17, 0, tzinfo=dt.timezone.utc)
    token = csrf_token(client, page)
    client.post(f"{page}/closing", data={"csrf_token": token, "action": "save",
                                         "closes_at": planned.strftime("%Y-%m-%dT%H:%M")})
    assert shipped_letter().closes_at == planned
    client.post(f"{page}/close-now", data={"csrf_token": token})
    assert client.get("/en/sign").status_code == 410
    # The page after closing, as the admin's browser sends it back: the date field filled as shown.
    form_page = client.get(page).get_data(as_text=True)
    shown = re.search(r'name="closes_at"[^>]*value="([^"]*)"', form_page)
    reopened = client.post(f"{page}/closing", data={"csrf_token": token, "action": "reopen",
                                                    "closes_at": shown.group(1) if shown else ""}, follow_redirects=True)
    assert "Signing is open again." in reopened.get_data(as_text=True)
    assert client.get("/en/sign").status_code == 200
    assert shipped_letter().closes_at == planned  # the slip undone, the plan kept


def test_a_signer_gets_their_links_back_after_the_letter_closed(app, client, db, smtp, monkeypatch):
    from campaign.mail import delivery

    closes_at = close_in_an_hour(db)
    assert sign(client, email="kept@example.org").status_code == 303
    delivery.deliver_due()
    confirm = links_in(smtp.wait_for(1)[0].text)["confirm"]
    client.post(confirm, data={"csrf_token": csrf_token(client, confirm)})
    move_clock(monkeypatch, closes_at + dt.timedelta(days=2))
    closed_page = client.get("/en/sign").get_data(as_text=True)
    assert "Lost the email about your signature?" in closed_page
    app.config["RESEND_COOLDOWN_SECONDS"] = 0  # no wait between the two emails in this test
    answer = client.post("/en/sign/send-again", data={"csrf_token": csrf_token(client, "/admin/login"),
                                                      "email": "kept@example.org"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/en/sign?links=sent"
    told = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "we have sent it the links to its signatures" in told
    assert "press the button to confirm" not in told  # nothing to confirm once closed
    mistyped = client.post("/en/sign/send-again", data={"csrf_token": csrf_token(client, "/admin/login"),
                                                        "email": "not-an-email"})
    assert mistyped.status_code == 422 and 'value="not-an-email"' in mistyped.get_data(as_text=True)
    delivery.deliver_due()
    links = smtp.wait_for(2)[-1]
    assert links.envelope_to == ["kept@example.org"] and "/sign/manage/" in links.text
    assert "/sign/confirm/" not in links.text  # no new confirm link once closed


def test_a_letter_closed_for_days_and_reopened_keeps_both_on_its_timeline(app, client, db):
    letter = shipped_letter()
    closed_at = utcnow().replace(microsecond=0) - dt.timedelta(days=3)
    letter.closes_at = closed_at
    db.session.commit()
    closing_id = client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"][0]["id"]
    closing.set_closing(letter, None, None, "test")
    events = client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"]
    assert [event["kind"] for event in events] == ["reopened", "closed", "published"]
    assert events[1]["id"] == closing_id  # the same entry for feed readers before and after


def closing_field(html: str) -> re.Match:
    found = re.search(r'<input[^>]*name="closes_at"[^>]*>', html)
    assert found, "the page has no closing date field"
    return found


@pytest.mark.parametrize("lang", LTR_AND_RTL)
@pytest.mark.parametrize(("typed", "problem", "input_type"), [
    ("1999-01-01T00:00", "Choose a time to come. To close signing at once, use “Close signing now”.", "datetime-local"),
    ("next tuesday", "Enter a date and a time, such as %(example)s.", "text"),
])
def test_a_refused_closing_date_comes_back_in_the_field(app, client, db, lang, typed, problem, input_type):
    """Refused, the page comes back with what was typed in the field and why, in the admin's
    language; a value that is not a time comes back as text (a date-time input would show it empty)."""
    log_in(client, make_admin("admin@campaign.example", role="admin"))
    page = f"/admin/letters/{SHIPPED_LETTER}"
    planned = dt.datetime(2099, 3, 8, 17, 0, tzinfo=dt.timezone.utc)
    letter = shipped_letter()
    letter.closes_at = planned
    db.session.commit()
    refused = client.post(f"{page}/closing", data={"csrf_token": csrf_token(client, page), "action": "save",
                                                    "closes_at": typed}, headers={"Accept-Language": lang})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    field = closing_field(html).group(0)
    assert f'value="{typed}"' in field and f'type="{input_type}"' in field and 'aria-invalid="true"' in field
    assert translated(app, lang, problem, example="2027-03-08 17:00") in html.replace("&#34;", '"')
    assert shipped_letter().closes_at == planned  # nothing changed
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.target_type == "letter")) == 0


def test_a_refused_goal_comes_back_in_the_field(app, client, db):
    log_in(client, make_admin("admin@campaign.example", role="admin"))
    page = f"/admin/letters/{SHIPPED_LETTER}"
    refused = client.post(f"{page}/goal", data={"csrf_token": csrf_token(client, page), "goal": "-5"})
    assert refused.status_code == 422
    assert re.search(r'<input[^>]*name="goal"[^>]*value="-5"', refused.get_data(as_text=True))
    assert shipped_letter().goal is None


@pytest.mark.parametrize(("typed", "goal"), [("1,000", 1000), ("10 000", 10000), ("1.000.000", 1000000),
                                             ("2\u202f500", 2500), ("750", 750)])
def test_a_goal_typed_with_thousands_separators_is_understood(app, client, db, typed, goal):
    log_in(client, make_admin("admin@campaign.example", role="admin"))
    page = f"/admin/letters/{SHIPPED_LETTER}"
    client.post(f"{page}/goal", data={"csrf_token": csrf_token(client, page), "goal": typed})
    assert shipped_letter().goal == goal


@pytest.mark.parametrize("typed", ["1,00", "1,000.5", "1,000 000", "12,34,567"])
def test_a_goal_that_is_not_a_grouped_whole_number_is_refused(app, client, db, typed):
    log_in(client, make_admin("admin@campaign.example", role="admin"))
    page = f"/admin/letters/{SHIPPED_LETTER}"
    refused = client.post(f"{page}/goal", data={"csrf_token": csrf_token(client, page), "goal": typed})
    assert refused.status_code == 422 and shipped_letter().goal is None


def test_a_closing_date_years_away_is_taken_for_a_typo(app, client, db):
    log_in(client, make_admin("admin@campaign.example", role="admin"))
    page = f"/admin/letters/{SHIPPED_LETTER}"
    refused = client.post(f"{page}/closing", data={"csrf_token": csrf_token(client, page), "action": "save",
                                                    "closes_at": "9999-01-01T00:00"})
    assert refused.status_code == 422 and "within the next 10 years" in refused.get_data(as_text=True)
    assert shipped_letter().closes_at is None


def test_a_closing_date_in_the_past_is_refused_and_clearing_it_reopens(app, client, db):
    log_in(client, make_admin("admin@campaign.example", role="admin"))
    page = f"/admin/letters/{SHIPPED_LETTER}"
    token = csrf_token(client, page)
    refused = client.post(f"{page}/closing", data={"csrf_token": token, "action": "save", "closes_at": "1999-01-01T00:00"})
    assert refused.status_code == 422 and "Choose a time to come" in refused.get_data(as_text=True)
    assert shipped_letter().closes_at is None
    client.post(f"{page}/close-now", data={"csrf_token": token})
    cleared = client.post(f"{page}/closing", data={"csrf_token": token, "action": "save", "closes_at": ""},
                          follow_redirects=True)
    assert "Signing is open again." in cleared.get_data(as_text=True)
    assert shipped_letter().closes_at is None


def test_readers_see_when_signing_will_close(app, client, db):
    letter = shipped_letter()
    letter.closes_at = dt.datetime(2099, 3, 8, 17, 0, tzinfo=dt.timezone.utc)
    db.session.commit()
    assert "Signing closes on March 8, 2099 at 5:00" in client.get("/en/").get_data(as_text=True)


def test_moderators_cannot_change_the_lifecycle(app, client, db):
    log_in(client, make_admin())
    assert client.get(f"/admin/letters/{SHIPPED_LETTER}").status_code == 403
    assert client.post(f"/admin/letters/{SHIPPED_LETTER}/closing", data={"action": "close-now"}).status_code in (400, 403)
    assert client.get(f"/admin/letters/{SHIPPED_LETTER}/close-now").status_code == 403
    token = csrf_token(client, "/admin/")
    assert client.post(f"/admin/letters/{SHIPPED_LETTER}/close-now", data={"csrf_token": token}).status_code == 403
    assert shipped_letter().closes_at is None


def test_a_closing_date_in_the_file_applies_and_loading_again_keeps_an_admins_change(app, db, tmp_path):
    from campaign import letters

    folder = tmp_path / "letters" / "a-letter"
    write_letter_file(folder, "en", "A letter", "Text.", slug="a-letter", published=dt.date(2026, 1, 1),
                      contact="a@example.org", closes_at=dt.date(2027, 3, 8), goal=300)
    letters.load_letters(tmp_path / "letters", app.config["LANGUAGES"])
    letter = letters.letter_by_slug("a-letter")
    assert letter.closes_at == dt.datetime(2027, 3, 9, tzinfo=dt.timezone.utc)  # the end of that day, UTC
    assert letter.goal == 300
    closing.set_goal(letter, 1000, None, "test")
    letters.load_letters(tmp_path / "letters", app.config["LANGUAGES"])
    assert letters.letter_by_slug("a-letter").goal == 1000  # the file did not change: the admin's goal stays
    write_letter_file(folder, "en", "A letter", "Text.", slug="a-letter", published=dt.date(2026, 1, 1),
                      contact="a@example.org", closes_at="2027-04-01T12:00:00+02:00", goal=300)
    letters.load_letters(tmp_path / "letters", app.config["LANGUAGES"])
    letter = letters.letter_by_slug("a-letter")
    assert letter.closes_at == dt.datetime(2027, 4, 1, 10, tzinfo=dt.timezone.utc)


def test_a_closing_time_without_its_zone_is_refused(tmp_path):
    from campaign import letters

    path = write_letter_file(tmp_path / "b", "en", "B", "Text.", slug="b", published=dt.date(2026, 1, 1),
                             contact="a@example.org", closes_at="2027-04-01T12:00:00")
    with pytest.raises(letters.LetterFileError, match="time zone"):
        letters.parse_letter_file(path)


def goal_events(db) -> list[tuple[int, dt.datetime]]:
    return db.session.execute(select(TimelineEvent.goal, TimelineEvent.occurred_at).where(
        TimelineEvent.kind == TimelineKind.GOAL_REACHED).order_by(TimelineEvent.goal)).all()


def test_goals_passed_in_one_go_are_one_event_on_the_timeline(app, client, db):
    """An import or a bulk approval that passes several goals at once: one "goal reached", the
    highest, not three of the same minute in a made-up order pushing the news off the letter page."""
    from campaign.lifecycle import goals

    letter = shipped_letter()
    closing.set_goal(letter, 2, None, "test")
    goals.note_progress(letter.id, lambda: 11)  # 2, 5 and 10 passed by one transaction
    db.session.commit()
    assert [goal for goal, _ in goal_events(db)] == [10]
    goals.note_progress(letter.id, lambda: 12)
    db.session.commit()
    assert [goal for goal, _ in goal_events(db)] == [10], "nothing new reached"


def test_a_goal_is_passed_once_and_the_next_one_set(app, client, db):
    closing.set_goal(shipped_letter(), 2, None, "test")
    published()
    assert goal_events(db) == []
    published()
    assert [goal for goal, _ in goal_events(db)] == [2]
    letter = client.get(f"/api/v1/letters/{SHIPPED_LETTER}").get_json()
    assert letter["goal"] == {"first": 2, "next": 5}
    page = client.get("/en/").get_data(as_text=True)
    assert 'max="5" value="2"' in page and "Goal reached: 2 signatures" in page
    for _ in range(3):
        published()
    assert [goal for goal, _ in goal_events(db)] == [2, 5]
    page = client.get("/en/").get_data(as_text=True)
    letter = shipped_letter()
    letter.closes_at = utcnow()
    db.session.commit()
    assert "goal__bar" not in client.get("/en/").get_data(as_text=True)  # closed: the count is final
    letter.closes_at = None
    db.session.commit()
    # A withdrawal and a new publication pass 5 again: it is not recorded twice.
    from campaign.signing import rules

    signature = db.session.scalars(select(Signature).order_by(Signature.id)).first()
    rules._erase_signature(signature, "signature.withdrawn")
    db.session.commit()
    published(email="again@example.org", organisation="Again")
    assert [goal for goal, _ in goal_events(db)] == [2, 5]



@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_embedded_counter_shows_the_goal_and_where_the_letter_stands(app, client, db, lang):
    """Open with a goal: the bar and the next goal, and the Sign button; delivered: the stage line;
    closed: no bar (the count is final), the closing date instead of the button, the stage kept."""
    from flask_babel import force_locale, format_date, gettext

    from campaign import letters
    from campaign.lifecycle import timeline
    from campaign.web import caches
    from campaign.web.i18n import describe

    counter_url = f"/embed/{SHIPPED_LETTER}/counter?lang={lang}"
    delivered_line = translated(app, lang, "This letter has been delivered.")
    closing.set_goal(shipped_letter(), 2, None, "test")
    for _ in range(3):
        published()
    html = client.get(counter_url).get_data(as_text=True)
    assert re.search(r'<progress class="goal__bar" id="counter-goal" max="5" value="3">', html)
    assert translated(app, lang, "Next goal: %(num)s", num="5") in html
    assert f'/{lang}/letters/{SHIPPED_LETTER}/sign"' in html and 'class="counter__sign"' in html
    assert delivered_line not in html and "notice--closed" not in html

    timeline.record_event(letters.LetterInfo.of(shipped_letter()), TimelineKind.DELIVERED, utcnow(),
                          {"en": timeline.Words("Handed to the UN, Geneva")}, None, None, None, "test")
    html = client.get(counter_url).get_data(as_text=True)
    assert delivered_line in html and 'class="goal__bar"' in html  # delivered, still open: both

    letter = shipped_letter()
    letter.closes_at = dt.datetime(2026, 3, 8, 17, 0, tzinfo=dt.timezone.utc)
    db.session.commit()
    caches.clear()
    html = client.get(counter_url).get_data(as_text=True)
    with app.test_request_context(), force_locale(describe(lang).babel_locale):
        closed_line = gettext("Signing closed on %(date)s.", date=format_date(letter.closes_at, "long"))
    assert closed_line in html and delivered_line in html
    assert "goal__bar" not in html and "/sign" not in html


def test_a_goal_the_count_already_passed_when_it_was_set_is_not_reached_now(app, client, db):
    for _ in range(3):
        published()
    closing.set_goal(shipped_letter(), 2, None, "test")
    assert goal_events(db) == []
    assert client.get(f"/api/v1/letters/{SHIPPED_LETTER}").get_json()["goal"] == {"first": 2, "next": 5}
    for _ in range(2):
        published()
    assert [goal for goal, _ in goal_events(db)] == [5]


def test_a_goal_reached_under_concurrent_publishing_is_recorded_once(app, db, backend):
    """Eight moderators publish at once across the goal: one event (PostgreSQL locks the letter's
    row; SQLite serialises the writers)."""
    from campaign.extensions import db as database
    from campaign.moderation import decisions

    closing.set_goal(shipped_letter(), 5, None, "test")
    moderator = make_admin()
    ids = [make_signature(status="verified").id for _ in range(8)]
    barrier = threading.Barrier(len(ids))
    failures = []

    def publish(signature_id: int) -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            for _ in range(20):  # SQLite answers "database is locked" to a writer that has to wait too long
                try:
                    decisions.approve([signature_id], database.session.get(type(moderator), moderator.id))
                    break
                except Exception as error:  # noqa: BLE001
                    database.session.rollback()
                    failures.append(error)
            database.session.remove()

    threads = [threading.Thread(target=publish, args=(each,)) for each in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Signature).where(Signature.status == "published")) == 8
    assert [goal for goal, _ in goal_events(db)] == [5]
    assert db.session.scalar(select(Letter.goal_reached)) == 5
