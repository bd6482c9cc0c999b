"""The sign form partners embed (no cookie, framed only by allowed origins), credit for partners
(``?via=``) and their private pages, and the counter's colour schemes."""

from __future__ import annotations

import re

import pytest

from campaign.config import ConfigError, configure
from campaign.models import AuditEntry, OutboxMessage, Partner, Signature
from campaign.publication import partners

from .factories import (
    SHIPPED_LETTER,
    TEST_CONFIG,
    csrf_token,
    form_fields,
    log_in,
    make_admin,
    make_signature,
    published,
    sign,
    signature_data,
)

EMBED = f"/embed/{SHIPPED_LETTER}/sign"
PARTNER_SITE = "http://localhost:5999"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "EMBED_ALLOWED_ORIGINS": [PARTNER_SITE]}


def _stamp(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(started|via)" type="hidden" value="([^"]*)"', html))


def _partner(code: str = "rights-net", name: str = "Rights Network") -> Partner:
    admin = make_admin(f"{code}@campaign.example", role="admin")
    partner, _token = partners.create(name, code, admin)
    return partner


def test_the_embedded_form_sets_no_cookie_and_only_allowed_origins_may_frame_it(client, db):
    page = client.get(EMBED + "?lang=ar")
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers
    assert f"frame-ancestors {PARTNER_SITE}" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in html and 'name="csrf_token"' not in html
    # Every other page still refuses to be framed.
    letter = client.get("/en/")
    assert "frame-ancestors 'none'" in letter.headers["Content-Security-Policy"]
    assert letter.headers["X-Frame-Options"] == "DENY"


def test_no_origin_allowed_means_no_site_may_frame_it(app, client, db):
    app.config["EMBED_ALLOWED_ORIGINS"] = []
    page = client.get(EMBED)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_signing_in_the_embedded_form_needs_no_cookie_and_credits_the_partner(client, db):
    partner = _partner()
    page = client.get(EMBED + "?lang=en&via=Rights-Net")
    fields = _stamp(page.get_data(as_text=True))
    assert fields["via"] == "rights-net"
    client._cookies.clear()
    answer = client.post(EMBED + "?lang=en", data={**fields, **signature_data(email="amal@rights.example.org")})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "Set-Cookie" not in answer.headers
    html = answer.get_data(as_text=True)
    assert "Check your inbox" in html and "amal@rights.example.org" in html
    signature = db.session.query(Signature).one()
    assert (signature.source, signature.partner_id) == ("embed", partner.id)
    assert "verification" in {message.kind for message in db.session.query(OutboxMessage)}
    # "Correct it" gives the form back, filled in, inside the frame.
    hidden = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', html.split("Wrong address")[0]))
    corrected = client.post(EMBED + "?lang=en", data=hidden)
    assert corrected.status_code == 200
    assert 'value="amal@rights.example.org"' in corrected.get_data(as_text=True)


def test_the_embedded_form_refuses_a_missing_or_foreign_token_and_keeps_what_was_typed(client, db):
    typed = signature_data(email="nour@example.org", organisation="Nour Collective")
    valid = _stamp(client.get(EMBED + "?lang=en").get_data(as_text=True))["started"]
    for stamp in ({}, {"started": "forged"}, form_fields(client.get("/en/sign").get_data(as_text=True)),
                  {"started": [valid, "garbage"]}):  # none; not ours; the site form's; repeated
        answer = client.post(EMBED + "?lang=en", data={**stamp, **typed})
        assert answer.status_code == 422
        html = answer.get_data(as_text=True)
        assert "We could not check that this form came from our page" in html, stamp
        assert "Nothing is lost" in html and 'value="Nour Collective"' in html
    assert db.session.query(Signature).count() == 0


def test_an_embedded_form_open_too_long_says_so(app, client, db, monkeypatch):
    import time

    stamp = _stamp(client.get(EMBED + "?lang=en").get_data(as_text=True))["started"]
    later = time.time() + app.config["SIGN_FORM_MAX_AGE_HOURS"] * 3600 + 60
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    answer = client.post(EMBED + "?lang=en", data={"started": stamp, **signature_data()})
    assert answer.status_code == 422 and "This form was open for a long time" in answer.get_data(as_text=True)


def test_a_closed_letter_embeds_no_form(app, client, db):
    import datetime as dt

    from campaign.lifecycle import closing
    from campaign.models import Letter

    letter = db.session.query(Letter).filter_by(slug=SHIPPED_LETTER).one()
    letter.closes_at = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    db.session.commit()
    assert closing.has_closed(letter.closes_at)
    page = client.get(EMBED + "?lang=en")
    assert page.status_code == 410
    assert "Signing closed on" in page.get_data(as_text=True) and 'class="sign-form"' not in page.get_data(as_text=True)



def _close_the_letter(db) -> None:
    import datetime as dt

    from campaign.models import Letter
    from campaign.web import caches

    db.session.query(Letter).filter_by(slug=SHIPPED_LETTER).one().closes_at = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    db.session.commit()
    caches.clear()  # the letter as pages see it is kept for a while


@pytest.mark.parametrize("race", [False, True], ids=["closed-before", "closed-while-posting"])
def test_a_post_to_the_embedded_form_of_a_closed_letter_gets_the_closed_frame_and_stores_nothing(
        app, client, db, monkeypatch, race):
    """As the site's form: 410 and the closed page, whether the letter had closed when the form was
    posted or closed between the view's check and the write (the race answered 503 before)."""
    from campaign.lifecycle import closing
    from campaign.views import embed_sign

    fields = _stamp(client.get(EMBED + "?lang=en").get_data(as_text=True))  # the form, open when it was shown
    _close_the_letter(db)
    if race:  # the view's check still saw it open: ``rules.submit_signature`` is what refuses
        monkeypatch.setattr(embed_sign, "signing_now", lambda letter: closing.Signing())
    answer = client.post(EMBED + "?lang=en", data={**fields, **signature_data(email="late@example.org")})
    assert answer.status_code == 410
    html = answer.get_data(as_text=True)
    assert "Signing closed on January 1, 2020." in html and "Nothing you sent was stored." in html
    assert 'class="sign-form"' not in html and "late@example.org" not in html
    assert f"frame-ancestors {PARTNER_SITE}" in answer.headers["Content-Security-Policy"]  # still a frame
    assert db.session.query(Signature).count() == 0 and db.session.query(OutboxMessage).count() == 0


def test_via_on_the_site_credits_that_partner_only(client, db):
    partner = _partner()
    other = _partner("press-union", "Press Union")
    letter_page = client.get("/en/?via=rights-net").get_data(as_text=True)
    assert 'href="/en/sign?via=rights-net"' in letter_page
    assert "via=" not in client.get("/en/").get_data(as_text=True)
    form = client.get("/en/sign?via=rights-net").get_data(as_text=True)
    fields = {**form_fields(form), **_stamp(form)}
    client.post("/en/sign", data={**fields, **signature_data(email="a@one.example.org")})
    sign(client, email="b@two.example.org", organisation="Plain Link Org")  # no via: nobody's
    client.post("/en/sign", data={**form_fields(form), "via": "no-such-code",
                                  **signature_data(email="c@three.example.org", organisation="Third")})
    credited = {row.email_domain: row.partner_id for row in db.session.query(Signature)}
    assert credited == {"one.example.org": partner.id, "two.example.org": None, "three.example.org": None}
    assert other.id not in credited.values()


def test_partner_counts_hold_confirmed_signatures_only_and_the_page_shows_nothing_personal(client, db):
    from campaign.models import utcnow

    partner = _partner()
    letter_id = make_signature(status="published", partner_id=partner.id, organisation="Visible Org").letter_id
    make_signature(status="verified", kind="individual", name="Private Person", partner_id=partner.id)
    make_signature(status="pending", partner_id=partner.id)  # not confirmed: not counted
    make_signature(status="rejected", partner_id=partner.id)
    make_signature(status="published")  # nobody's
    [totals] = [row for row in partners.totals(letter_id) if row.partner.id == partner.id]
    assert (totals.organisations, totals.individuals) == (1, 1)
    [day] = partners.days(partner.id, letter_id, utcnow().date())
    assert (day.organisations, day.individuals) == (1, 1)

    admin = make_admin("boss@campaign.example", role="admin")
    log_in(client, admin)
    asked = client.get(f"/admin/partners/{partner.id}/link")  # asks first: the partner's link stops working
    assert "stops working at once" in asked.get_data(as_text=True)
    made = client.post(f"/admin/partners/{partner.id}/link", data={"csrf_token": csrf_token(client, "/admin/partners")})
    assert made.status_code == 303
    shown = client.get("/admin/partners").get_data(as_text=True)
    link = re.search(r'href="https://campaign\.example(/en/partners/[\w-]+)"', shown).group(1)
    assert "/en/partners/" not in client.get("/admin/partners").get_data(as_text=True)  # shown once: a reload makes none
    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/partners")})
    page = client.get(link)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "Rights Network" in html and "1 organisation" in html and "1 individual" in html
    for personal in ("Visible Org", "Private Person", "@", "example"):
        assert personal not in html.split("<main", 1)[1]

    log_in(client, admin)
    client.post(f"/admin/partners/{partner.id}/revoke", data={"csrf_token": csrf_token(client, "/admin/partners")})
    assert client.get(link).status_code == 404
    actions = [entry.action for entry in db.session.query(AuditEntry).filter_by(target_type="partner")]
    assert actions == ["partner.created", "partner.link_renewed", "partner.link_revoked"]


def test_admins_register_partners_with_a_clean_code(client, db):
    admin = make_admin("boss@campaign.example", role="admin")
    log_in(client, admin)
    token = csrf_token(client, "/admin/partners")
    created = client.post("/admin/partners", data={"csrf_token": token, "name": "Rights Network", "code": "rights-net"})
    assert created.status_code == 303
    assert "/en/partners/" in client.get("/admin/partners").get_data(as_text=True)
    again = client.post("/admin/partners", data={"csrf_token": token, "name": "Copycat", "code": "rights-net"})
    assert again.status_code == 422 and "Another partner has this code" in again.get_data(as_text=True)
    assert 'value="Copycat"' in again.get_data(as_text=True)
    bad = client.post("/admin/partners", data={"csrf_token": token, "name": "Bad", "code": "Bad Code!"})
    assert bad.status_code == 422 and "lower-case letters" in bad.get_data(as_text=True)
    assert db.session.query(Partner).count() == 1
    moderator = make_admin("mod2@campaign.example")
    client.post("/admin/logout", data={"csrf_token": token})
    log_in(client, moderator)
    assert client.get("/admin/partners").status_code == 403


@pytest.mark.parametrize("origins", [["https://partner.example/"], ["*"], "https://partner.example",
                                     ["https://partner.example/path"]])
def test_embed_origins_are_checked_at_start(origins):
    from flask import Flask

    with pytest.raises(ConfigError, match="FLASK_EMBED_ALLOWED_ORIGINS"):
        configure(Flask(__name__), {**TEST_CONFIG, "EMBED_ALLOWED_ORIGINS": origins})


def test_a_partner_keeps_its_credit_when_the_reader_changes_language_or_comes_by_its_counter(client, db):
    letter = client.get("/en/?via=rights-net").get_data(as_text=True)
    assert 'href="https://campaign.example/ar/?via=rights-net" hreflang="ar"' in letter  # the language switcher
    form = client.get("/en/sign?via=rights-net").get_data(as_text=True)
    assert 'href="https://campaign.example/ar/sign?via=rights-net" hreflang="ar"' in form
    assert 'href="https://campaign.example/ar/sign" hreflang="ar"' in client.get("/en/sign").get_data(as_text=True)
    counter = client.get(f"/embed/{SHIPPED_LETTER}/counter?lang=es&via=rights-net").get_data(as_text=True)
    assert f"/es/letters/{SHIPPED_LETTER}/sign?via=rights-net" in counter


def test_the_counter_follows_the_reader_or_the_partners_theme(client, db):
    auto = client.get(f"/embed/{SHIPPED_LETTER}/counter?lang=en").get_data(as_text=True)
    assert 'class="theme-auto"' in auto and 'content="light dark"' in auto
    dark = client.get(f"/embed/{SHIPPED_LETTER}/counter?lang=en&theme=dark").get_data(as_text=True)
    assert 'class="theme-dark"' in dark
    odd = client.get(f"/embed/{SHIPPED_LETTER}/counter?lang=en&theme=%3Cscript%3E").get_data(as_text=True)
    assert 'class="theme-auto"' in odd


def _row_figures(html: str, heading: str) -> tuple[str, str]:
    """The organisations and individuals cells of the table row headed ``heading``."""
    row = re.search(rf"<tr>\s*<th scope=\"row\"[^>]*>(?:<bdi>)?{re.escape(heading)}(?:</bdi>)?</th>(.*?)</tr>", html, re.S)
    assert row is not None, f"no row for {heading!r}"
    cells = re.findall(r'<td data-label="(?:Organisations|Individuals)">([^<]*)</td>', row.group(1))
    return cells[0], cells[1]


def test_admins_and_each_partner_read_that_partners_own_figures_by_day(client, db):
    import datetime as dt

    from flask_babel import format_date

    from campaign.models import utcnow

    first, second = _partner(), _partner("climate-now", "Climate Now")
    earlier = utcnow() - dt.timedelta(days=3)
    for _ in range(2):
        make_signature(status="published", partner_id=first.id)
    make_signature(status="verified", kind="individual", partner_id=first.id, created_at=earlier)
    make_signature(status="published", kind="individual", partner_id=second.id)
    make_signature(status="published")  # nobody's

    admin = make_admin("boss@campaign.example", role="admin")
    log_in(client, admin)
    html = client.get("/admin/partners").get_data(as_text=True)
    assert _row_figures(html, "Rights Network") == ("2", "1")
    assert _row_figures(html, "Climate Now") == ("0", "1")

    client.post(f"/admin/partners/{first.id}/link", data={"csrf_token": csrf_token(client, "/admin/partners")})
    link = re.search(r'href="https://campaign\.example(/en/partners/[\w-]+)"', client.get("/admin/partners").get_data(
        as_text=True)).group(1)
    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/partners")})
    page = client.get(link).get_data(as_text=True)
    assert "2 organisations" in page and "1 individual" in page and "Climate Now" not in page
    with client.application.test_request_context("/en/"):
        today, then = format_date(utcnow().date(), "medium"), format_date(earlier.date(), "medium")
    days = re.findall(r'<th scope="row" data-label="Day">([^<]*)</th>\s*<td data-label="Organisations">([^<]*)</td>'
                      r'\s*<td data-label="Individuals">([^<]*)</td>', page)
    assert days == [(today, "2", "0"), (then, "0", "1")], "newest day first, each with its own figures"


def test_the_public_side_never_says_who_brought_whom(app, client, db, tmp_path):
    """The list, its CSV, print page and change feed, the API and a signed snapshot with its proof
    carry no trace of the partner a signature came through."""
    import base64

    from .test_verify_snapshot import SEED

    key = tmp_path / "snapshot-signing.key"
    key.write_text(base64.b64encode(SEED).decode() + "\n")
    app.config["SNAPSHOT_SIGNING_KEY_FILE"] = str(key)
    partner = _partner("secret-partner-code", "Hidden Partner Name")
    brought = published(partner_id=partner.id, organisation="Brought Org")
    published(kind="individual", name="Brought Person", partner_id=partner.id)
    snapshot = app.test_cli_runner().invoke(args=["snapshots", "publish", SHIPPED_LETTER])
    assert snapshot.exit_code == 0, snapshot.output
    scoped, api = f"/en/letters/{SHIPPED_LETTER}", f"/api/v1/letters/{SHIPPED_LETTER}"
    for path in (f"{scoped}/signatories", f"{scoped}/signatories.csv", f"{scoped}/print", f"{scoped}/changes.atom",
                 f"{scoped}/snapshots", scoped, api, f"{api}/signatories", f"{api}/changes?since=2000-01-01",
                 f"{api}/snapshots", f"{api}/snapshots/1", f"{api}/entries/{brought.public_id}/proof"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert "Brought Org" in body or path.endswith(("/snapshots", "/snapshots/1", "/proof", api, scoped)), path
        for secret in ("secret-partner-code", "Hidden Partner Name", "via=", '"partner'):
            assert secret not in body, f"{path} says {secret!r}"
