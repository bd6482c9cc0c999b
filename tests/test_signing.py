"""The signing journey: form → email in the signer's language → confirm button → awaiting moderation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import Column, Integer, func, select, text, update

from campaign.mail import delivery
from campaign.models import (
    OutboxMessage,
    OutboxStatus,
    PublishedTally,
    Signature,
    SignatureStatus,
    SignatureToken,
    TokenPurpose,
)

from .factories import LTR_AND_RTL, form_fields, links_in, sign, signature_data, translated

EMAIL = "amal@rights.example.org"


def deliver(app):
    with app.app_context():
        return delivery.deliver_due()


def only_signature(db) -> Signature:
    signatures = db.session.scalars(select(Signature)).all()
    assert len(signatures) == 1
    return signatures[0]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_whole_path_in_the_signer_language(app, client, db, smtp, lang):
    response = sign(client, lang)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/{lang}/sign/check-your-inbox"
    inbox_page = client.get(response.headers["Location"])
    assert translated(app, lang, "Check your inbox") in inbox_page.get_data(as_text=True)

    signature = only_signature(db)
    assert signature.status is SignatureStatus.PENDING
    assert signature.language == lang
    db.session.remove()

    assert deliver(app).sent == 1
    [received] = smtp.wait_for(1)
    assert received.envelope_to == [EMAIL]
    assert received.message["Subject"] == translated(app, lang, "Confirm your signature")
    assert received.message["Message-ID"].endswith("@campaign.example>")
    assert received.message["Date"]
    html_lang = "ar" if lang == "ar" else "en"
    assert f'<html lang="{html_lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in received.html
    links = links_in(received.text)
    assert set(links) == {"confirm", "withdraw", "not-me"}
    assert all(link.startswith(f"/{lang}/sign/") for link in links.values())
    assert links_in(received.html) == links

    confirm_page = client.get(links["confirm"])
    page = confirm_page.get_data(as_text=True)
    assert confirm_page.status_code == 200
    assert confirm_page.headers["Cache-Control"] == "no-store"
    assert page.count("<button") == 1
    assert "<bdi>Digital Rights Collective</bdi>" in page
    assert only_signature(db).status is SignatureStatus.PENDING, "opening the link must not confirm"
    db.session.remove()

    confirmed = client.post(links["confirm"], data=dict(re.findall(r'name="(csrf_token)" type="hidden" value="([^"]+)"', page)))
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == f"/{lang}/sign/thank-you"
    thanks = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert translated(app, lang, "Thank you for signing") in thanks
    signature = only_signature(db)
    assert signature.status is SignatureStatus.VERIFIED and signature.verified_at is not None


def csrf_of(client, path: str) -> dict[str, str]:
    html = client.get(path).get_data(as_text=True)
    return dict(re.findall(r'name="(csrf_token)" type="hidden" value="([^"]+)"', html))


def signed_and_mailed(app, client, smtp, lang="en", **overrides) -> dict[str, str]:
    before = len(smtp.messages)
    assert sign(client, lang, **overrides).status_code == 303
    deliver(app)
    return links_in(smtp.wait_for(before + 1)[-1].text)


def test_confirming_twice_is_harmless(app, client, db, smtp):
    links = signed_and_mailed(app, client, smtp)
    form = csrf_of(client, links["confirm"])
    assert client.post(links["confirm"], data=form).status_code == 303
    assert client.post(links["confirm"], data=form).status_code == 303
    assert client.get(links["confirm"]).headers["Location"] == "/en/sign/thank-you"
    assert only_signature(db).status is SignatureStatus.VERIFIED


def test_a_get_never_confirms_even_when_followed_many_times(app, client, db, smtp):
    links = signed_and_mailed(app, client, smtp)
    for _ in range(3):
        client.get(links["confirm"])
        client.head(links["confirm"])
    assert only_signature(db).status is SignatureStatus.PENDING


def test_confirm_requires_csrf(app, client, db, smtp):
    links = signed_and_mailed(app, client, smtp)
    assert client.post(links["confirm"], data={}).status_code in (200, 400)
    assert only_signature(db).status is SignatureStatus.PENDING


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_tampered_or_unknown_tokens_get_a_clear_404(app, client, smtp, lang):
    links = signed_and_mailed(app, client, smtp, lang)
    tampered = links["confirm"][:-2] + ("AA" if not links["confirm"].endswith("AA") else "BB")
    for path in (tampered, f"/{lang}/sign/confirm/x", f"/{lang}/sign/withdraw/{'a' * 43}", f"/{lang}/sign/not-me/zz"):
        response = client.get(path)
        assert response.status_code == 404
        assert translated(app, lang, "This link is not valid") in response.get_data(as_text=True)


def test_tokens_serve_one_purpose_only(app, client, db, smtp):
    links = signed_and_mailed(app, client, smtp)
    withdraw_token = links["withdraw"].rsplit("/", 1)[1]
    assert client.get(f"/en/sign/confirm/{withdraw_token}").status_code == 404
    assert client.post(f"/en/sign/confirm/{withdraw_token}", data=csrf_of(client, "/admin/login")).status_code == 404
    assert only_signature(db).status is SignatureStatus.PENDING
    confirm_token = links["confirm"].rsplit("/", 1)[1]
    assert client.get(f"/en/sign/withdraw/{confirm_token}").status_code == 404


def test_tokens_are_stored_only_as_hashes(app, client, db, smtp):
    links = signed_and_mailed(app, client, smtp)
    stored = {row.token_hash for row in db.session.scalars(select(SignatureToken))}
    for link in links.values():
        token = link.rsplit("/", 1)[1]
        assert len(token) >= 43  # 256 bits in base64url
        assert token not in stored
        assert not any(token in value for value in stored)


def expire_tokens(db, purpose: TokenPurpose) -> None:
    db.session.execute(
        update(SignatureToken)
        .where(SignatureToken.purpose == purpose)
        .values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1))
    )
    db.session.commit()


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_an_expired_link_offers_a_fresh_one_without_showing_the_address(app, client, db, smtp, lang):
    links = signed_and_mailed(app, client, smtp, lang)
    expire_tokens(db, TokenPurpose.CONFIRM)
    db.session.execute(update(Signature).values(last_email_at=None))
    db.session.commit()

    page = client.get(links["confirm"])
    html = page.get_data(as_text=True)
    assert page.status_code == 410
    assert translated(app, lang, "This link has expired") in html
    assert EMAIL not in html and "rights.example.org" not in html
    assert client.post(links["confirm"], data=csrf_of(client, links["confirm"])).status_code == 410
    assert only_signature(db).status is SignatureStatus.PENDING
    db.session.remove()

    renew = f"{links['confirm']}/renew"
    wrong = client.post(renew, data={**csrf_of(client, links["confirm"]), "email": "someone@else.example"})
    assert wrong.status_code == 303
    right = client.post(renew, data={**csrf_of(client, links["confirm"]), "email": EMAIL.upper()})
    assert right.status_code == 303
    deliver(app)
    messages = smtp.wait_for(2)
    assert len(messages) == 2 and [a.lower() for a in messages[-1].envelope_to] == [EMAIL]
    fresh = links_in(messages[-1].text)["confirm"]
    assert client.post(fresh, data=csrf_of(client, fresh)).status_code == 303
    assert only_signature(db).status is SignatureStatus.VERIFIED


def test_one_signature_per_address_whatever_its_spelling(app, client, db, smtp):
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    variants = ["amal@rights.example.org", "AMAL@Rights.Example.ORG", "amal+letter@rights.example.org"]
    for variant in variants:
        assert sign(client, email=variant).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 1


def test_gmail_dots_are_ignored_but_other_domains_keep_them(app, client, db):
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    for address in ["first.last@gmail.com", "firstlast@googlemail.com", "First.Last+x@Gmail.com"]:
        sign(client, email=address)
    sign(client, email="first.last@example.org")
    sign(client, email="firstlast@example.org")
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 3


def test_internationalised_domains_are_one_address(app, client, db):
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    sign(client, email="ana@bücher.example")
    sign(client, email="ana@xn--bcher-kva.example")
    signature = only_signature(db)
    assert signature.email_domain == "bücher.example"


def test_the_answer_is_the_same_for_new_pending_and_signed_addresses(app, client, db, smtp):
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    first = sign(client)
    pending = sign(client)
    signature = only_signature(db)
    signature.status = SignatureStatus.VERIFIED
    db.session.commit()
    signed = sign(client)
    assert {r.status_code for r in (first, pending, signed)} == {303}
    assert {r.headers["Location"] for r in (first, pending, signed)} == {"/en/sign/check-your-inbox"}


def test_a_pending_address_is_sent_its_link_again_and_a_signed_one_is_told(app, client, db, smtp):
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    sign(client)
    deliver(app)
    sign(client, name="Amal H.")
    deliver(app)
    first, second = smtp.wait_for(2)
    assert "confirm" in links_in(second.text) and "Amal H." in second.text
    assert only_signature(db).name == "Amal H.", "a repeat while pending updates the details"

    signature = only_signature(db)
    signature.status = SignatureStatus.VERIFIED
    db.session.commit()
    sign(client, name="Someone Else")
    deliver(app)
    third = smtp.wait_for(3)[-1]
    assert third.message["Subject"] == "You have already signed"
    assert set(links_in(third.text)) == {"withdraw", "not-me"}
    assert only_signature(db).name == "Amal H.", "a confirmed signature is not changed by the form"


def test_details_changed_before_the_first_email_left_replace_it(app, client, db, smtp):
    """The first email, still queued, showed details that are no longer the signature's: it is
    taken back, and only the email with the new details goes out."""
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    sign(client)
    sign(client, name="Amal H.")
    deliver(app)
    assert "Amal H." in smtp.wait_for(1)[0].text
    assert len(smtp.messages) == 1, "delivery is over: the first email never left"


def test_at_most_three_emails_a_day_to_one_address(app, client, db, smtp):
    """The cap at the tests' setting of three (the default, ten, in tests/test_signers.py)."""
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    for _ in range(6):
        assert sign(client).status_code == 303
    deliver(app)
    assert len(smtp.messages) == 3
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind != "reminder")) == 3
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "reminder")) == 1, "one reminder, however often the form was sent"


def test_a_new_signature_past_the_days_emails_is_kept_without_mail_or_links(app, client, db, smtp):
    """The address has had its share of email today (it signed, withdrew, signs again): the new
    signature is stored, and neither an email nor the links one would carry."""
    from email_validator import validate_email

    from campaign.signing import rows
    from campaign.signing import rules as signing

    with app.test_request_context():
        address_hash = rows.email_hash(validate_email(EMAIL, check_deliverability=False))
        for _ in range(3):
            assert signing._allow_email_to(address_hash)
    assert sign(client).status_code == 303
    signature = only_signature(db)
    assert signature.status is SignatureStatus.PENDING
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.session.scalar(select(func.count()).select_from(SignatureToken)) == 0


@pytest.mark.parametrize("table", [Signature.__table__, OutboxMessage.__table__], ids=["signatures", "outbox"])
def test_the_signature_write_keeps_the_default_of_a_column_added_later(app, client, db, table):
    """A new NOT NULL column with a Python-side default, on each table the signature write fills
    with a statement of its own (the signature's ``INSERT … ON CONFLICT``; the outbox's insert): the
    write must apply its default (a hand-kept column list once dropped it, and the signer got "check
    your inbox" while nothing was stored). The database's own default is 0, so a write that leaves
    the column out shows."""
    column = Column("added_later", Integer, nullable=False, default=5)
    db.session.execute(text(f"ALTER TABLE {table.name} ADD COLUMN added_later INTEGER NOT NULL DEFAULT 0"))
    db.session.commit()
    table.append_column(column)
    try:
        assert sign(client).status_code == 303
        assert set(db.session.execute(text(f"SELECT added_later FROM {table.name}")).scalars()) == {5}
        assert only_signature(db) is not None
    finally:
        table._columns.remove(column)
        db.session.rollback()
        db.session.execute(text(f"ALTER TABLE {table.name} DROP COLUMN added_later"))
        db.session.commit()


def test_an_integrity_error_other_than_signed_already_is_an_error_and_stores_nothing(app, client, db, monkeypatch,
                                                                                     caplog):
    """Only the (letter, address) conflict means "signed already"; any other refusal by the
    database is logged, answered with a 500 and leaves nothing half-stored."""
    from campaign.mail import rendering

    real = rendering.message_row
    monkeypatch.setattr(rendering, "message_row", lambda *a, **k: {**real(*a, **k), "message_id": None})
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = sign(client)
    assert response.status_code == 500
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    assert db.session.scalar(select(func.count()).select_from(SignatureToken)) == 0
    assert any("IntegrityError" in record.getMessage() or record.exc_info for record in caplog.records
               if record.levelname == "ERROR")


def test_an_integrity_error_inside_the_signature_insert_is_an_error_and_stores_nothing(app, client, db, monkeypatch,
                                                                                      caplog):
    """A uniqueness conflict other than (letter, address, signer), raised by the signature's own
    ``INSERT … ON CONFLICT`` (here a public id taken already): not "signed already", but a 500, logged,
    with nothing of the new signature stored (no row, no link, no email) and the earlier one intact."""
    from campaign.signing import rows

    assert sign(client, email="first@example.org").status_code == 303
    first = only_signature(db)
    stored = {model: db.session.scalar(select(func.count()).select_from(model)) for model in (SignatureToken, OutboxMessage)}
    real = rows.signature_row
    monkeypatch.setattr(rows, "signature_row", lambda *a, **k: {**real(*a, **k), "public_id": first.public_id})
    app.config["PROPAGATE_EXCEPTIONS"] = False
    caplog.clear()
    assert sign(client, email="second@example.org").status_code == 500
    db.session.expire_all()
    assert [signature.id for signature in db.session.scalars(select(Signature))] == [first.id]
    assert {model: db.session.scalar(select(func.count()).select_from(model)) for model in stored} == stored
    assert any("IntegrityError" in record.getMessage() or record.exc_info for record in caplog.records
               if record.levelname == "ERROR")


def test_repeats_within_the_cooldown_send_nothing_more(app, client, db, smtp):
    for _ in range(4):
        sign(client)
    deliver(app)
    assert len(smtp.wait_for(1)) == 1


def test_the_signature_records_letter_version_and_language(app, client, db):
    from campaign import letters

    sign(client, "ar")
    signature = only_signature(db)
    current = letters.letter_in_language(letters.letter_by_slug("ban-biometric-surveillance"), "ar").text
    assert signature.letter_version == current.version and signature.language == "ar"


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_withdraw_shows_what_goes_and_deletes_everything(app, client, db, smtp, lang):
    links = signed_and_mailed(app, client, smtp, lang)
    client.post(links["confirm"], data=csrf_of(client, links["confirm"]))
    signature = only_signature(db)
    signature.status = SignatureStatus.PUBLISHED
    db.session.add(PublishedTally(letter_id=signature.letter_id, kind="organisation", country="LB", count=1))
    db.session.commit()
    db.session.remove()

    page = client.get(links["withdraw"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert translated(app, lang, "Withdraw your signature") in html
    assert "<bdi>Amal Haddad</bdi>" in html and html.count("<button") == 1
    assert only_signature(db) is not None
    db.session.remove()

    done = client.post(links["withdraw"], data=csrf_of(client, links["withdraw"]))
    assert done.status_code == 303 and done.headers["Location"] == f"/{lang}/sign/withdrawn"
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    assert db.session.scalar(select(func.count()).select_from(SignatureToken)) == 0
    assert db.session.scalar(select(PublishedTally.count)) == 0
    assert client.get(links["withdraw"]).status_code == 404
    assert client.get(links["confirm"]).status_code == 404, "an old link cannot revive a withdrawn signature"
    assert client.post(links["confirm"], data=csrf_of(client, "/admin/login")).status_code == 404


def test_withdrawal_drops_mail_still_queued_for_the_signer(app, client, db, smtp):
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    links = signed_and_mailed(app, client, smtp)
    sign(client)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.PENDING)) == 2, "the link again, and the reminder"
    db.session.remove()
    client.post(links["withdraw"], data=csrf_of(client, links["withdraw"]))
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.PENDING)) == 0


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_it_was_not_me_removes_the_signature_and_stops_the_form_mailing_me(app, client, db, smtp, lang):
    links = signed_and_mailed(app, client, smtp, lang)
    html = client.get(links["not-me"]).get_data(as_text=True)
    assert translated(app, lang, "Someone signed with your address") in html
    done = client.post(links["not-me"], data=csrf_of(client, links["not-me"]))
    assert done.status_code == 303 and done.headers["Location"] == f"/{lang}/sign/not-me-done"
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    db.session.remove()

    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    again = sign(client, lang)
    assert again.status_code == 303
    deliver(app)
    assert len(smtp.messages) == 1, "no new email to an address whose owner said it wasn't them"
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0


def test_emails_link_to_site_url_never_to_the_request_host(app, client, smtp):
    page = client.get("/en/sign", base_url="http://evil.example")

    client.post("/en/sign", data={**form_fields(page.get_data(as_text=True)), **signature_data()},
                base_url="http://evil.example")
    deliver(app)
    [received] = smtp.wait_for(1)
    assert "evil.example" not in received.text and "evil.example" not in received.html
    assert links_in(received.text)


def test_signing_can_be_paused_and_resumed(app, client, db):
    from campaign.signing import rules as signing

    signing.set_signing_paused(True)
    db.session.remove()
    paused = client.get("/en/sign")
    assert paused.status_code == 503
    assert "Signing is paused" in paused.get_data(as_text=True)
    assert sign_without_form(client).status_code == 503
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    signing.set_signing_paused(False)
    db.session.remove()
    assert sign(client).status_code == 303


def test_a_pause_from_another_process_reaches_this_one_within_the_cache_time(app, client, db, monkeypatch):
    from campaign.models import SiteSetting
    from campaign.web import caches as page_cache

    seconds = app.config["SIGNING_PAUSE_CACHE_SECONDS"]
    assert client.get("/en/sign").status_code == 200
    db.session.add(SiteSetting(key="signing_paused", value="1"))  # as another process would
    db.session.commit()
    db.session.remove()
    assert client.get("/en/sign").status_code == 200
    later = page_cache.time.monotonic() + seconds + 0.1
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: later)
    assert client.get("/en/sign").status_code == 503
    assert sign_without_form(client).status_code == 503


def sign_without_form(client):

    return client.post("/en/sign", data=signature_data())


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_paused_page_is_translated(app, client, db, lang):
    from campaign.signing import rules as signing

    signing.set_signing_paused(True)
    db.session.remove()
    assert translated(app, lang, "Signing is paused") in client.get(f"/{lang}/sign").get_data(as_text=True)


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_emailed_links_are_the_addresses_url_for_gives_their_tokens(app, lang):
    """Links are filled in from shapes built once per language and letter (``tokens._link_shapes``):
    each is exactly what ``url_for`` makes of its token, for the featured letter and another, in a
    request (the app mounted under a path) and outside one (the command line)."""
    from flask import g

    from campaign.crypto import token_digest
    from campaign.signing.tokens import LINKS, new_links
    from campaign.web.i18n import absolute_url

    def check(slug: str | None) -> set[str]:
        g.letter_slug = slug
        links, rows = new_links(lang, dt.datetime(2026, 1, 1), confirm=True)
        made = set()
        for row in rows:
            name, endpoint = LINKS[row["purpose"]]
            token = re.search(r"/([A-Za-z0-9_-]{43})(?:$|[/?#])", links[name]).group(1)
            assert row["token_hash"] == token_digest(token)
            assert links[name] == absolute_url(endpoint, lang=lang, token=token)
            made.add(links[name])
        return made

    for mounted_at in ("", "/campaign"):
        with app.test_request_context(f"/{lang}/sign", base_url=f"http://localhost{mounted_at}/"):
            featured, other = check(None), check("another-letter")
            assert len(featured) == len(other) == 4 and all("/another-letter/" in link for link in other)
            assert all(("/campaign/" in link) == bool(mounted_at) for link in featured | other)
    with app.app_context():
        assert len(check(None) | check("another-letter")) == 8
