"""No signer lost: the signing journey as real people meet it (issue 16), in English and Arabic."""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import quote

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from campaign.config import DefaultConfig
from campaign.mail import delivery
from campaign.models import OutboxMessage, Signature, SignatureStatus
from campaign.moderation import decisions

from .factories import (
    LTR_AND_RTL,
    SHIPPED_LETTER,
    form_fields,
    links_in,
    make_admin,
    published,
    sign,
    signature_data,
    translated,
    translated_plural,
    write_letter_file,
)

EMAIL = "amal@rights.example.org"


def deliver(app, now=None) -> None:
    with app.app_context():
        delivery.deliver_due(now=now)


def count(db, model=Signature, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def held_addresses(db) -> int:
    """Signatures holding their address for the decision notices."""
    db.session.expire_all()
    return count(db, Signature, Signature.held_address_box.is_not(None))


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', html)) | dict(
        re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))


def confirm(client, path: str):
    page = client.get(path)
    return client.post(path, data=hidden_fields(page.get_data(as_text=True)))


# --- a form sent too fast is given back, never dropped ---------------------------------------


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_a_form_sent_at_once_comes_back_filled_in_and_is_stored_when_sent_again(app, client, db, monkeypatch, lang):
    app.config["SIGN_MIN_SECONDS"] = 3
    page = client.get(f"/{lang}/sign")
    answer = client.post(f"/{lang}/sign", data={**form_fields(page.get_data(as_text=True)), **signature_data()})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and count(db) == 0
    assert translated(app, lang, "Your form came back to us within a few seconds, as it does when a browser fills "
                      "it in by itself. Nothing is lost: please check your details and send it again.") in html
    assert 'value="Amal Haddad"' in html and f'value="{EMAIL}"' in html, "what was typed is given back"
    real_time = time.time
    monkeypatch.setattr("campaign.web.forms.time.time", lambda: real_time() + 4)
    again = client.post(f"/{lang}/sign", data={**form_fields(html), **signature_data()})
    assert again.status_code == 303 and count(db) == 1


def test_the_hidden_trap_field_still_drops_a_bot_silently(app, client, db):
    assert sign(client, nickname="I am a bot").status_code == 303
    assert count(db) == 0


# --- over a limit, nothing typed is lost -------------------------------------------------------


def test_a_room_of_sixty_on_one_network_signs_under_the_default_limits(app, client, db):
    app.config["SIGN_RATE_LIMIT"] = DefaultConfig.SIGN_RATE_LIMIT
    statuses = [sign(client, email=f"person{n}@example.org", organisation=f"Org {n}").status_code for n in range(60)]
    assert statuses == [303] * 60
    assert count(db) == 60


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_over_the_limit_the_form_comes_back_filled_in_with_when_to_try_again(app, app_config, lang):
    from campaign import create_app

    limited = create_app({**app_config, "SIGN_RATE_LIMIT": "2/minute"})
    client = limited.test_client()
    for number in range(2):
        assert sign(client, lang, email=f"p{number}@example.org").status_code == 303
    page = client.get(f"/{lang}/sign")
    refused = client.post(f"/{lang}/sign", data={**form_fields(page.get_data(as_text=True)),
                                                 **signature_data(email="late@example.org", name="Late Person")})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert 'value="Late Person"' in html and 'value="late@example.org"' in html
    notice = translated_plural(limited, lang, "Many people have just signed from the same network as you. Nothing "
                               "you typed is lost: please send the form again in %(num)s minute.", "Many people have "
                               "just signed from the same network as you. Nothing you typed is lost: please send the "
                               "form again in %(num)s minutes.", 1)
    assert notice in html


# --- one address, several signatures that make sense -------------------------------------------


@pytest.mark.parametrize("repeat", [
    {"kind": "individual", "organisation": None, "website": None},
    {"kind": "individual", "organisation": "Another University", "website": None, "name": "amal  HADDAD"},
    {"organisation": "Digital Rights Collective"},
    {"organisation": "DIGITAL rights   collective"},
    {"organisation": "coalicion sur"},
    {"organisation": "  COALICIÓN Sur "},
], ids=["person", "person-other-details", "first-org", "first-org-folded", "accents-folded", "case-spacing-folded"])
def test_one_address_signs_as_a_person_and_for_two_organisations_and_a_repeat_adds_nothing(app, client, db, smtp,
                                                                                          repeat):
    """Three signatures that make sense; a repeat of any of them (names compared without case,
    accents or spacing) adds no row."""
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    assert sign(client, kind="individual", organisation=None, website=None).status_code == 303
    assert sign(client, organisation="Digital Rights Collective").status_code == 303
    assert sign(client, organisation="Coalición  Sur").status_code == 303
    assert count(db) == 3
    deliver(app)
    assert len(smtp.wait_for(3)) == 3
    assert sign(client, **repeat).status_code == 303
    assert count(db) == 3
    assert sign(client, **repeat).status_code == 303, "and again"
    assert count(db) == 3


def test_the_already_signed_email_lists_what_the_address_signed_each_with_its_links(app, client, db, smtp):
    app.config.update(RESEND_COOLDOWN_SECONDS=0, VERIFICATION_EMAIL_LIMIT="10/day")
    sign(client, kind="individual", organisation=None, website=None)
    sign(client, organisation="Digital Rights Collective")
    for signature in db.session.scalars(select(Signature)):
        signature.status = SignatureStatus.VERIFIED
    db.session.commit()
    sign(client, organisation="Digital Rights Collective")
    deliver(app)
    message = smtp.wait_for(3)[-1]
    assert message.message["Subject"] == "You have already signed"
    manage_links = re.findall(r"https://campaign\.example(/en/sign/manage/[\w-]+)", message.text)
    assert len(set(manage_links)) == 2 and "Digital Rights Collective" in message.text and "Amal Haddad" in message.text
    assert all(client.get(link).status_code == 200 for link in manage_links)


# --- check your inbox, and recover ----------------------------------------------------------------


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_check_your_inbox_shows_the_address_once_and_offers_to_correct_it(app, client, db, smtp, caplog, lang):
    response = sign(client, lang, email="typo@exmaple.org")
    assert "typo" not in response.headers["Location"]
    cookie = app.session_interface.get_signing_serializer(app).loads(client.get_cookie("session").value)
    assert "typo" not in str(cookie) and "Amal" not in str(cookie), "what was typed rides sealed, unreadable"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "typo@exmaple.org" in page
    assert translated(app, lang, "Wrong address? Correct it") in page
    assert "typo@exmaple.org" not in client.get(response.headers["Location"]).get_data(as_text=True), "shown once"
    correct_form = re.search(r'<form method="post" action="([^"]+/sign/correct)"[^>]*>(.*?)</form>', page, re.S)
    app.config["SIGN_MIN_SECONDS"] = 3
    corrected = client.post(correct_form.group(1), data=hidden_fields(correct_form.group(2)))
    html = corrected.get_data(as_text=True)
    assert corrected.status_code == 200 and 'value="typo@exmaple.org"' in html and 'value="Amal Haddad"' in html
    assert count(db) == 1, "correcting the form stores nothing by itself"
    assert all("typo@exmaple.org" not in record.getMessage() for record in caplog.records)
    fields = form_fields(html)
    resent = client.post(f"/{lang}/sign", data={**fields, **signature_data(email="typo@example.org")})
    assert resent.status_code == 303, "a form given back to correct one field may be sent again at once"
    assert client.get(f"/{lang}/sign/correct").headers["Location"].endswith(f"/{lang}/sign"), \
        "another language's link to the page lands on the form, not on an error"


def _correct(client, lang: str, mistyped: str, **corrected) -> tuple[str, object]:
    """Sign with a mistyped address, press "Wrong address? Correct it", send the form corrected."""
    location = sign(client, lang, email=mistyped).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+/sign/correct)"[^>]*>(.*?)</form>', page, re.S)
    html = client.post(form.group(1), data=hidden_fields(form.group(2))).get_data(as_text=True)
    replaces = re.search(r'name="replaces" value="([^"]+)"', html).group(1)
    sent = client.post(f"/{lang}/sign", data={**form_fields(html), "replaces": replaces,
                                              **signature_data(email=mistyped, **corrected)})
    return replaces, sent


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_correcting_a_mistyped_address_takes_back_the_first_signature_and_its_reminder(app, client, db, smtp, lang):
    """Whoever owns the mistyped address got one email; they get no reminder a day later, and its
    link no longer signs in the signer's name."""
    location = sign(client, lang, email="amal@rights.exmaple.org").headers["Location"]
    deliver(app)
    wrong_link = links_in(smtp.wait_for(1)[0].text)["confirm"]
    page = client.get(location).get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+/sign/correct)"[^>]*>(.*?)</form>', page, re.S)
    html = client.post(form.group(1), data=hidden_fields(form.group(2))).get_data(as_text=True)
    replaces = re.search(r'name="replaces" value="([^"]+)"', html).group(1)
    sent = client.post(f"/{lang}/sign", data={**form_fields(html), "replaces": replaces,
                                              **signature_data(email=EMAIL)})
    assert sent.status_code == 303
    assert count(db) == 1, "the mistyped one is gone, the corrected one stored"
    assert client.get(wrong_link).status_code == 404
    deliver(app, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=25))
    time.sleep(0.2)
    assert len(smtp.to("amal@rights.exmaple.org")) == 1, "no reminder to the stranger"
    assert len(smtp.to(EMAIL)) == 2, "the corrected address: its email and, later, its reminder"


def test_correcting_after_sending_the_mistyped_form_twice_takes_back_the_waiting_signature(app, client, db, smtp):
    """No email came (the address was mistyped), so the person sent the form again, then saw the
    typo and corrected it: the repeat's "correct it" takes back the waiting signature it repeated,
    whose emailed link would otherwise sign in their name for whoever owns the mistyped address."""
    sign(client, "en", email="layla@gmial.com")
    deliver(app)
    wrong_link = links_in(smtp.wait_for(1)[0].text)["confirm"]
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    location = sign(client, "en", email="layla@gmial.com").headers["Location"]
    assert count(db) == 1, "the second sending is a repeat of the waiting signature"
    page = client.get(location).get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+/sign/correct)"[^>]*>(.*?)</form>', page, re.S)
    html = client.post(form.group(1), data=hidden_fields(form.group(2))).get_data(as_text=True)
    replaces = re.search(r'name="replaces" value="([^"]+)"', html).group(1)
    sent = client.post("/en/sign", data={**form_fields(html), "replaces": replaces, **signature_data(email=EMAIL)})
    assert sent.status_code == 303 and count(db) == 1, "only the corrected signature is left"
    assert client.get(wrong_link).status_code == 404
    assert db.session.scalar(select(Signature.status)) is SignatureStatus.PENDING


def test_a_mistyped_organisation_corrected_does_not_wait_beside_the_right_one(app, client, db, smtp):
    _replaces, sent = _correct(client, "en", EMAIL, organisation="Rights Collective")
    assert sent.status_code == 303 and count(db) == 1
    assert db.session.scalar(select(Signature.organisation)) == "Rights Collective"


def test_a_correction_sent_unchanged_keeps_the_signature(app, client, db, smtp):
    _replaces, sent = _correct(client, "en", EMAIL)
    assert sent.status_code == 303 and count(db) == 1
    assert db.session.scalar(select(Signature.status)) is SignatureStatus.PENDING


def test_a_forged_or_foreign_replaces_field_takes_nothing_back(app, client, db, smtp):
    sign(client, email="first@example.org")
    for forged in ("", "x" * 500, "not-sealed", "A" * 120):
        fields = form_fields(client.get("/en/sign").get_data(as_text=True))
        client.post("/en/sign", data={**fields, "replaces": forged, **signature_data(email=f"n{len(forged)}@example.org")})
    assert count(db) == 5, "the first signature and the four new ones"


def test_the_page_after_signing_looks_the_same_for_a_new_address_and_a_repeat(app, client, db, smtp):
    lengths = []
    for _attempt in range(2):
        location = sign(client, email=EMAIL).headers["Location"]
        page = client.get(location).get_data(as_text=True)
        lengths.append(len(re.search(r'name="replaces" value="([^"]+)"', page).group(1)))
    assert lengths[0] == lengths[1], "whether the address had signed shows nowhere, not even in a length"


def test_send_again_keeps_the_pause_and_the_same_answer_for_any_address(app, client, db, smtp):
    response = sign(client)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    again = re.search(r'<form method="post" action="([^"]+/sign/send-again)"[^>]*>(.*?)</form>', page, re.S)
    fields = hidden_fields(again.group(2))
    assert client.post(again.group(1), data=fields).status_code == 303
    deliver(app)
    assert len(smtp.messages) == 1, "within the pause between two emails, nothing more"
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    assert client.post(again.group(1), data=fields).status_code == 303
    deliver(app)
    assert len(smtp.wait_for(2)) == 2 and "confirm" in links_in(smtp.messages[-1].text)
    unknown = client.post(again.group(1), data={**fields, "email": "never.signed@example.org"})
    assert unknown.status_code == 303 and unknown.headers["Location"].endswith("check-your-inbox?again=1")
    deliver(app)
    assert len(smtp.messages) == 2


def page_shape(html: str) -> str:
    """A page with each hidden value replaced by its length: the CSRF token and the sealed fields
    differ from one request to the next, but nothing else (not even a length) may."""
    return re.sub(r'(<input type="hidden" name="[a-z_]+" value=")([^"]*)"',
                  lambda found: f'{found.group(1)}{len(found.group(2))}"', html)


def _inbox_after(client, response) -> str:
    return page_shape(client.get(response.headers["Location"]).get_data(as_text=True))


def _send_again(client, page: str, **changes):
    again = re.search(r'<form method="post" action="([^"]+/sign/send-again)"[^>]*>(.*?)</form>', page, re.S)
    return client.post(again.group(1), data={**hidden_fields(again.group(2)), **changes})


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_an_email_past_the_days_cap_to_one_address_is_not_sent_under_the_default(app, client, db, smtp, lang):
    """The default cap (ten emails a day to one address: a coalition's coordinator signing for
    several organisations and as a person gets each one's email; a stranger can flood nobody) holds
    for new signatures and for "send the email again" alike, and the person sees the very page they
    would have seen otherwise."""
    from limits import parse

    assert DefaultConfig.VERIFICATION_EMAIL_LIMIT == "10/day"
    app.config.update(VERIFICATION_EMAIL_LIMIT=DefaultConfig.VERIFICATION_EMAIL_LIMIT, RESEND_COOLDOWN_SECONDS=0)
    cap = parse(DefaultConfig.VERIFICATION_EMAIL_LIMIT).amount
    first = sign(client, lang, organisation="Coalition 1")
    first_page = client.get(first.headers["Location"]).get_data(as_text=True)
    for number in range(2, cap):
        sign(client, lang, organisation=f"Coalition {number}")
    sent_again = _send_again(client, first_page)
    page_sent_again = _inbox_after(client, sent_again)
    deliver(app)
    assert len(smtp.wait_for(cap)) == cap, "new signatures and one sent again, up to the cap"

    over = sign(client, lang, organisation="Coalition X")  # as long as the first: pages compared by shape
    assert over.status_code == 303 and over.headers["Location"] == first.headers["Location"]
    assert _inbox_after(client, over) == page_shape(first_page), "over the cap, the same page"
    refused_again = _send_again(client, first_page)
    assert refused_again.headers["Location"] == sent_again.headers["Location"]
    assert _inbox_after(client, refused_again) == page_sent_again
    deliver(app)
    time.sleep(0.2)
    assert len(smtp.messages) == cap and len(smtp.to(EMAIL)) == cap, "no email past the cap that day"
    assert count(db) == cap, "the signature over the cap is kept: its signer may ask again tomorrow"
    assert translated(app, lang, "If this address has signed, we have sent the email again (at most one every minute, "
                                 "and a few a day).") in client.get(refused_again.headers["Location"]).get_data(as_text=True)


def test_check_your_inbox_reads_the_same_for_a_new_address_and_a_confirmed_one(app, client, db, smtp):
    """Nobody learns from the page whether an address had signed: a first signature and a repeat of
    a confirmed one, and "send the email again" for an unknown address and a confirmed one."""
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    new = sign(client, email=EMAIL)
    new_page = _inbox_after(client, new)
    deliver(app)
    confirm(client, links_in(smtp.wait_for(1)[0].text)["confirm"])
    assert db.session.scalar(select(Signature.status)) is SignatureStatus.VERIFIED
    repeat = sign(client, email=EMAIL)
    assert repeat.status_code == new.status_code == 303 and repeat.headers["Location"] == new.headers["Location"]
    confirmed_page = client.get(repeat.headers["Location"]).get_data(as_text=True)
    assert page_shape(confirmed_page) == new_page
    deliver(app)
    assert smtp.wait_for(2)[-1].message["Subject"] == "You have already signed", "the email, not the page, tells"

    again_confirmed = _send_again(client, confirmed_page)
    confirmed_again_page = _inbox_after(client, again_confirmed)
    unknown = sign(client, email="brand.new@example.org")
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    again_unknown = _send_again(client, unknown_page, email="nora@nevers.example.org")  # as long as EMAIL
    assert again_unknown.headers["Location"] == again_confirmed.headers["Location"]
    assert _inbox_after(client, again_unknown).replace("nora@nevers.example.org", EMAIL) == confirmed_again_page


# --- one reminder ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_an_unconfirmed_signature_gets_one_reminder_in_its_language(app, client, db, smtp, lang):
    sign(client, lang)
    deliver(app)
    assert len(smtp.wait_for(1)) == 1
    deliver(app, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=25))
    [_, reminder] = smtp.wait_for(2)
    assert reminder.message["Subject"] == translated(app, lang, "Reminder: your signature is not confirmed yet")
    assert "confirm" in links_in(reminder.text)
    signed_as = translated(app, lang, "Signed as: %(who)s", who="@@").split("@@")[0].rstrip("\u2068")
    assert f"\n{signed_as}" in reminder.text.replace("\r\n", "\n"), "'Signed as' starts its own line"
    deliver(app, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=50))
    time.sleep(0.2)
    assert len(smtp.messages) == 2, "never twice"


def test_an_address_that_refuses_the_confirmation_for_good_gets_no_reminder(app, client, db, smtp):
    """Unknown mailbox (or no SMTPUTF8 for its letters): the reminder, due a day later to the same
    address, is given up with it instead of failing again then."""
    from campaign.models import OutboxMessage, OutboxStatus

    smtp.refuse[EMAIL] = f"550 5.1.1 <{EMAIL}> no such user"
    sign(client)
    deliver(app)
    kept = db.session.execute(select(OutboxMessage.kind, OutboxMessage.status, OutboxMessage.recipient)).all()
    assert kept == [("verification", OutboxStatus.FAILED, None)], "the reminder taken back at once, its address with it"
    del smtp.refuse[EMAIL]
    deliver(app, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=25))
    time.sleep(0.2)
    assert smtp.messages == []


@pytest.mark.parametrize("lang", LTR_AND_RTL)
@pytest.mark.parametrize(("hours", "singular", "plural", "num"), [
    (24, "You signed “%(title)s” %(num)s day ago, but your signature is not confirmed yet, so it does not count.",
     "You signed “%(title)s” %(num)s days ago, but your signature is not confirmed yet, so it does not count.", 1),
    (48, "You signed “%(title)s” %(num)s day ago, but your signature is not confirmed yet, so it does not count.",
     "You signed “%(title)s” %(num)s days ago, but your signature is not confirmed yet, so it does not count.", 2),
    (6, "You signed “%(title)s” %(num)s hour ago, but your signature is not confirmed yet, so it does not count.",
     "You signed “%(title)s” %(num)s hours ago, but your signature is not confirmed yet, so it does not count.", 6),
])
def test_the_reminder_says_how_long_ago_as_the_setting_has_it(app, client, db, smtp, lang, hours, singular, plural, num):
    app.config["CONFIRM_REMINDER_HOURS"] = hours
    sign(client, lang)
    deliver(app)
    smtp.wait_for(1)
    deliver(app, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours - 1))
    time.sleep(0.2)
    assert len(smtp.messages) == 1, "not before its time"
    deliver(app, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours, minutes=1))
    reminder = smtp.wait_for(2)[-1]
    said = translated_plural(app, lang, singular, plural, num, title=signature_title(app, lang))
    assert said in reminder.text and str(escape(said)) in reminder.html
    assert "A day ago" not in reminder.text


def test_no_reminder_once_confirmed_or_after_it_was_not_them(app, client, db, smtp):
    app.config["VERIFICATION_EMAIL_LIMIT"] = "10/day"
    sign(client, email="confirms@example.org")
    sign(client, email="notme@example.org", organisation="Other Org")
    deliver(app)
    first, second = smtp.wait_for(2)
    confirm(client, links_in(first.text)["confirm"])
    confirm(client, links_in(second.text)["not-me"])
    deliver(app, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=25))
    time.sleep(0.2)
    assert len(smtp.messages) == 2
    assert count(db, OutboxMessage, OutboxMessage.kind == "reminder", OutboxMessage.status == "pending") == 0


def test_it_was_not_me_stops_the_reminders_of_every_signature_of_that_address(app, client, db, smtp):
    app.config["VERIFICATION_EMAIL_LIMIT"] = "10/day"
    sign(client, email="borrowed@example.org", organisation="First Org")
    sign(client, email="borrowed@example.org", organisation="Second Org")
    deliver(app)
    first, _ = smtp.wait_for(2)
    confirm(client, links_in(first.text)["not-me"])
    deliver(app, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=25))
    time.sleep(0.2)
    assert len(smtp.messages) == 2
    assert count(db, OutboxMessage, OutboxMessage.status == "pending") == 0


# --- told when it counts ----------------------------------------------------------------------------


def _confirmed(app, client, smtp, lang="en", **overrides) -> Signature:
    sign(client, lang, **overrides)
    deliver(app)
    confirm(client, links_in(smtp.wait_for(1)[-1].text)["confirm"])
    from campaign.extensions import db

    return db.session.scalar(select(Signature).order_by(Signature.id.desc()))


def test_the_signers_page_says_what_the_held_address_is_for_until_the_decision(app, client, db, smtp):
    signature = _confirmed(app, client, smtp, kind="individual", organisation=None, website=None, consent_publish="y")
    manage = "/en/sign/manage/" + re.search(r"/sign/manage/([\w-]+)", smtp.messages[0].text).group(1)
    held = "bytes, opened only to tell you of the moderators&#39; decision, then erased"
    summary = "the server also holds your address in an encrypted box it can open"
    page = client.get(manage).get_data(as_text=True)
    assert "Your address, held encrypted until the moderators decide" in page and held in page
    assert summary in page, "the summary above the details says so too"
    assert "if the moderators publish your signature" in page and "Your name appears on the public list." not in page
    decisions.approve([signature.id], make_admin())
    page = client.get(manage).get_data(as_text=True)
    assert held not in page and summary not in page, "erased once decided"
    assert "Not held: erased when the moderators decided, or never kept" in page
    assert "Your name appears on the public list." in page


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_a_published_signer_is_told_in_their_language_and_their_address_is_then_gone(app, client, db, smtp, lang):
    signature = _confirmed(app, client, smtp, lang)
    assert held_addresses(db) == 1
    decisions.approve([signature.id], make_admin())
    deliver(app)
    told = smtp.wait_for(2)[-1]
    assert told.message["Subject"] == translated(app, lang, "You are on the list of signatories")
    assert f"/{lang}/signatories" in told.text and told.envelope_to == [EMAIL]
    assert f":\nhttps://campaign.example/{lang}/signatories\n" in told.text.replace("\r\n", "\n"), \
        "the list's address on a line of its own"
    assert held_addresses(db) == 0


def test_an_address_held_by_the_release_before_still_reaches_the_signer_and_is_then_erased(app, client, db, smtp):
    """During a rolling deploy the app nodes not yet reloaded still hold the address in its table of
    the release before (``HeldAddress``): the new release tells that signer too, and erases the box."""
    from campaign.models import HeldAddress

    signature = _confirmed(app, client, smtp)
    db.session.add(HeldAddress(signature_id=signature.id, address_box=signature.held_address_box))
    signature.held_address_box = None
    db.session.commit()
    assert held_addresses(db) == 0 and count(db, HeldAddress) == 1
    decisions.approve([signature.id], make_admin())
    deliver(app)
    told = smtp.wait_for(2)[-1]
    assert told.message["Subject"] == "You are on the list of signatories" and told.envelope_to == [EMAIL]
    assert count(db, HeldAddress) == 0 and held_addresses(db) == 0


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_signer_counted_but_not_named_is_not_told_they_are_on_the_list(app, client, db, smtp, lang):
    """Someone who asked not to be named reads "your signature is counted", not "you are on the list"
    (the Arabic subject said "your name is on the list")."""
    signature = _confirmed(app, client, smtp, lang, kind="individual", organisation="", consent_publish="")
    decisions.approve([signature.id], make_admin())
    deliver(app)
    told = smtp.wait_for(2)[-1]
    assert told.message["Subject"] == translated(app, lang, "Your signature is counted")
    assert translated(app, lang, "You are on the list of signatories") not in told.text


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_you_are_on_the_list_email_carries_plain_share_links_to_the_letter(app, client, db, smtp, lang):
    """The same plain links as the letter's pages (the one list in ``publication.sharing``), to the
    letter in the signer's language, each absolute (an email has no page to be relative to)."""
    from flask_babel import force_locale

    from campaign import letters
    from campaign.publication import sharing
    from campaign.web.i18n import describe

    signature = _confirmed(app, client, smtp, lang)
    decisions.approve([signature.id], make_admin())
    deliver(app)
    told = smtp.wait_for(2)[-1]
    letter_url = f"https://campaign.example/{lang}/"
    title = signature_title(app, lang)
    assert translated(app, lang, "Share this letter") in told.text and translated(app, lang, "Share this letter") in told.html
    assert f"https://wa.me/?text={quote(title + ' ' + letter_url, safe='')}" in told.text
    assert f"https://www.facebook.com/sharer/sharer.php?u={quote(letter_url, safe='')}" in told.text
    assert f"Mastodon: https://campaign.example/{lang}/share/mastodon" in told.text
    assert f"{translated(app, lang, 'By email')}: mailto:?subject={quote(title, safe='')}" in told.text
    with app.test_request_context(), force_locale(describe(lang).babel_locale):
        view = letters.letter_in_language(letters.featured_letter(None), lang)
        networks = sharing.share_of(view, lang=lang, slug=None).links
    assert len(networks) > 5
    for link in networks:
        assert link.href.startswith(("mailto:", "https://")), "absolute"
        assert f"{link.label}: {link.href}" in told.text.splitlines(), link.network
        assert f'href="{escape(link.href)}"' in told.html, link.network


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_a_signer_counted_but_not_named_is_not_told_their_name_is_on_the_list(app, client, db, smtp, lang):
    signature = _confirmed(app, client, smtp, lang, kind="individual", consent_publish="")
    decisions.approve([signature.id], make_admin())
    deliver(app)
    told = smtp.wait_for(2)[-1].text
    title = signature_title(app, lang)
    assert translated(app, lang, "Your signature of “%(title)s” is now counted among the signatories. As you chose, "
                                 "your name does not appear on the public list:", title=title) in told
    assert translated(app, lang, "Your signature of “%(title)s” is now on the public list of signatories:",
                      title=title) not in told


def signature_title(app, lang: str) -> str:
    from campaign import letters

    with app.app_context():
        letter = letters.featured_letter(None)
        return letters.letter_in_language(letter, lang).text.title


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_rejected_signer_hears_the_reason_only_when_the_moderator_chooses(app, client, db, smtp, lang):
    app.config["VERIFICATION_EMAIL_LIMIT"] = "10/day"
    told = _confirmed(app, client, smtp, lang, email="told@example.org")
    silent = _confirmed(app, client, smtp, lang, email="silent@example.org", organisation="Silent Org")
    moderator = make_admin()
    decisions.reject([told.id], moderator, "Not an organisation we could find", tell=True)
    decisions.reject([silent.id], moderator, "Duplicate", tell=False)
    deliver(app)
    time.sleep(0.2)
    subject = translated(app, lang, "Your signature was not published")
    rejected = [m for m in smtp.messages if m.message["Subject"] == subject]
    assert [m.envelope_to for m in rejected] == [["told@example.org"]]
    assert "Not an organisation we could find" in rejected[0].text
    title = signature_title(app, lang)
    for part in (rejected[0].text, rejected[0].html):
        assert translated(app, lang, "The moderators of “%(title)s” did not publish your signature. Their reason:",
                          title=title).split("“")[0] in part
        assert translated(app, lang, "If you think this is a mistake, reply to the contact address on the letter's "
                          "page.") in part
    assert held_addresses(db) == 0
    from campaign.models import AuditEntry

    from .factories import make_signature

    imported = make_signature(status="verified", organisation="Imported Org")  # no address held: nobody to tell
    decisions.reject([imported.id], moderator, "Unknown", tell=True)
    told_in_trail = {entry.target_id: entry.after["signer_told"] for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "signature.rejected"))}
    assert told_in_trail == {told.id: True, silent.id: False, imported.id: False}, "the trail says who was told"


def test_the_queue_offers_to_tell_the_rejected_signer(app, client, db, smtp):
    from .factories import csrf_token, log_in

    signature = _confirmed(app, client, smtp, email="queue-told@example.org")
    moderator = make_admin()
    log_in(client, moderator)
    assert "Tell the signer by email, with this reason" in client.get("/admin/").get_data(as_text=True)
    client.post("/admin/signatures/decide", data={
        "csrf_token": csrf_token(client), "ids": [str(signature.id)], "decision": "reject",
        "reason": "We could not find this organisation", "tell_signer": "y", "back": "/admin/"})
    deliver(app)
    told = smtp.wait_for(2)[-1]
    assert told.message["Subject"] == "Your signature was not published"
    assert "We could not find this organisation" in told.text and told.envelope_to == ["queue-told@example.org"]


def test_the_signature_page_offers_to_tell_the_rejected_signer(app, client, db, smtp):
    from .factories import csrf_token, log_in

    signature = _confirmed(app, client, smtp, email="page-told@example.org")
    log_in(client, make_admin())
    page = f"/admin/signatures/{signature.id}"
    assert "Tell the signer by email, with this reason" in client.get(page).get_data(as_text=True)
    client.post("/admin/signatures/decide", data={
        "csrf_token": csrf_token(client, page), "ids": [str(signature.id)], "decision": "reject",
        "reason": "Not an organisation we could find", "tell_signer": "y", "back": page})
    deliver(app)
    told = smtp.wait_for(2)[-1]
    assert told.message["Subject"] == "Your signature was not published" and told.envelope_to == ["page-told@example.org"]


def test_with_both_notices_off_no_address_is_held(app, client, db, smtp):
    app.config.update(NOTIFY_SIGNER_ON_PUBLISH=False, NOTIFY_SIGNER_ON_REJECT=False)
    signature = _confirmed(app, client, smtp)
    assert held_addresses(db) == 0
    decisions.approve([signature.id], make_admin())
    deliver(app)
    time.sleep(0.2)
    assert len(smtp.messages) == 1


# --- corrections keep you listed ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_published_entry_being_corrected_stays_listed_as_it_was_until_approved(app, client, db, smtp, lang):
    signature = _confirmed(app, client, smtp, lang, kind="individual", organisation=None, website=None,
                           name="Amal Hadad")
    moderator = make_admin()
    decisions.approve([signature.id], moderator)
    manage = re.search(rf"/{lang}/sign/manage/[\w-]+", smtp.messages[0].text).group(0)
    page = client.get(manage).get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token)" type="hidden" value="([^"]*)"', page))
    assert client.post(manage, data={**fields, "name": "Amal Haddad", "country": "LB"}).status_code == 303
    listing = client.get(f"/{lang}/signatories?kind=individual").get_data(as_text=True)
    assert "Amal Hadad" in listing and "Amal Haddad" not in listing
    from .factories import log_in

    log_in(client, moderator)
    queue = client.get("/admin/").get_data(as_text=True)
    assert "Amal Hadad" in queue and "Amal Haddad" in queue, "the queue shows before and after"
    decisions.approve([signature.id], moderator)
    listing = client.get(f"/{lang}/signatories?kind=individual").get_data(as_text=True)
    assert "Amal Haddad" in listing and "Amal Hadad" not in listing


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_withdrawing_while_a_correction_waits_takes_the_entry_off_the_list_at_once(app, client, db, smtp, lang):
    signature = _confirmed(app, client, smtp, lang, organisation="Rights Colective")
    decisions.approve([signature.id], make_admin())
    manage = re.search(rf"/{lang}/sign/manage/[\w-]+", smtp.messages[0].text).group(0)
    page = client.get(manage).get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token)" type="hidden" value="([^"]*)"', page))
    client.post(manage, data={**fields, "organisation": "Rights Collective", "name": "Amal Haddad", "country": "LB"})
    db.session.expire_all()
    assert db.session.get(Signature, signature.id).correction is not None, "a correction waits"
    assert "Rights Colective" in client.get(f"/{lang}/signatories").get_data(as_text=True)
    withdraw = links_in(smtp.messages[0].text)["withdraw"]
    assert confirm(client, withdraw).status_code == 303
    listing = client.get(f"/{lang}/signatories").get_data(as_text=True)
    assert "Rights Colective" not in listing and "Rights Collective" not in listing
    assert client.get(f"/api/v1/letters/{SHIPPED_LETTER}").json["counts"]["organisations"] == 0
    assert count(db, Signature, Signature.status == SignatureStatus.PUBLISHED) == 0


def _published_then_corrected(app, client, smtp, organisation: str):
    """"Rights Colective", published, then corrected by its signer to ``organisation`` from their page."""
    signature = _confirmed(app, client, smtp, organisation="Rights Colective")
    moderator = make_admin()
    decisions.approve([signature.id], moderator)
    manage = re.search(r"/en/sign/manage/[\w-]+", smtp.messages[0].text).group(0)
    page = client.get(manage).get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token)" type="hidden" value="([^"]*)"', page))
    client.post(manage, data={**fields, "organisation": organisation, "name": "Amal Haddad", "country": "LB"})
    return signature, moderator, manage


def test_a_correction_is_settled_from_the_signature_page(app, client, db, smtp):
    from .factories import csrf_token, log_in

    signature, moderator, manage = _published_then_corrected(app, client, smtp, "Rights Collective")
    log_in(client, moderator)
    admin_page = f"/admin/signatures/{signature.id}"
    html = client.get(admin_page).get_data(as_text=True)
    assert "Apply the correction" in html and "Keep the published version" in html
    assert "Rights Colective" in html and "Rights Collective" in html
    client.post("/admin/signatures/decide", data={"csrf_token": csrf_token(client, admin_page),
                                                  "ids": [str(signature.id)], "decision": "approve", "back": admin_page})
    db.session.expire_all()
    settled = db.session.get(Signature, signature.id)
    assert settled.organisation == "Rights Collective" and settled.correction is None
    assert settled.status is SignatureStatus.PUBLISHED


def test_a_correction_set_aside_leaves_the_entry_as_it_was(app, client, db, smtp):
    signature, moderator, manage = _published_then_corrected(app, client, smtp, "Something Else")
    decisions.reject([signature.id], moderator, "Not the organisation's name")
    db.session.expire_all()
    kept = db.session.get(Signature, signature.id)
    assert kept.organisation == "Rights Colective" and kept.status is SignatureStatus.PUBLISHED
    assert kept.correction is None
    # The signer learns it on their own page (a correction never comes with an address to write to).
    told = client.get(manage).get_data(as_text=True)
    assert "The moderators did not apply your last correction" in told and "Not the organisation&#39;s name" in told


# --- the signer's own page ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_the_manage_page_speaks_the_signers_language_and_shows_no_column_name(app, client, db, smtp, lang):
    sign(client, lang, kind="individual", organisation=None, website=None)
    deliver(app)
    manage = re.search(rf"/{lang}/sign/manage/[\w-]+", smtp.wait_for(1)[0].text).group(0)
    html = client.get(manage).get_data(as_text=True)
    for column in ("letter_version", "email_hash", "client_network_hash", "consent_publish", "email_sealed",
                   "created_at", "True", "False"):
        assert column not in html
    assert translated(app, lang, "Technical details") in html
    assert translated(app, lang, "You have not confirmed your signature yet: open the link in the email we sent "
                      "you.") in html
    if lang == "ar":
        visible = re.sub(r"<details.*?</details>", "", html, flags=re.S)
        visible = re.sub(r'<a [^>]*lang="(?!ar)[^"]*"[^>]*>[^<]*</a>', "", visible)  # other languages' own names
        visible = re.sub(r"<[^>]+>", " ", visible)
        typed = " ".join(signature_data().values())  # what the signer wrote is shown as written
        words = set(re.findall(r"[A-Za-z]{3,}", visible)) - set(re.findall(r"[A-Za-z]{3,}", typed)) - {"UTC", "JSON"}
        assert words == set(), f"English words on the Arabic page: {sorted(words)}"


# --- the form tells the truth per kind ---------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_form_says_what_is_published_for_each_kind(app, client, lang):
    html = client.get(f"/{lang}/sign").get_data(as_text=True)
    for message in ("Publish our organisation's name on the list (required)",
                    "Publish my name on the list of signatories (optional)",
                    "Organisations: the contact person. This name is never published.",
                    "Organisations: the contact person's title. It is never published.",
                    "Individuals: shown beside your name and affiliation on the list."):
        said = translated(app, lang, message)
        assert said in html or str(escape(said)) in html, message
    assert 'class="field__help for-organisation"' in html and 'class="field__help for-individual"' in html


# --- signatories beside the letter --------------------------------------------------------------------


def test_the_letters_drafting_organisations_are_on_the_list_from_the_moment_it_is_loaded(app, client, db, drafters):
    api = client.get(f"/api/v1/letters/{SHIPPED_LETTER}/signatories?kind=organisation").json
    names = [entry["organisation"] for entry in api["data"] if entry["drafter"]]
    assert "Access Now" in names and len(names) == 6
    listed = client.get("/en/signatories").get_data(as_text=True).split('id="drafters-heading"', 1)[1]
    assert "Human Rights Watch" in listed.split("</section>", 1)[0]
    exported = client.get("/en/signatories.csv").get_data(as_text=True)
    assert exported.count(",yes,") == 6 and "Amnesty International" in exported
    counted = client.get(f"/api/v1/letters/{SHIPPED_LETTER}").json
    assert counted["counts"]["organisations"] == 6
    letter_page = client.get("/en/").get_data(as_text=True)
    assert 'href="/en/signatories"' in letter_page and "Access Now" in letter_page
    from .factories import load_shipped_letters

    load_shipped_letters(app)
    assert count(db) == 6, "loading again adds nothing"


def test_the_letter_page_links_its_count_and_shows_the_latest_organisations(app, client, db):
    published(organisation="Newest Signing Org")
    html = client.get("/en/").get_data(as_text=True)
    assert re.search(r'<a href="/en/signatories">\d+ signatures? published</a>', html)
    assert "Newest Signing Org" in html and 'class="site-nav"' in html


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_reader_page_has_the_site_navigation(app, client, db, smtp, lang):
    """The header's "Signatories" is on every page a reader can land on, whichever part of the site
    serves it (one place: the base template)."""
    from campaign.publication import partners

    _partner, partner_token = partners.create("Rights Network", "rights-net", make_admin("admin@campaign.example",
                                                                                         role="admin"))
    sign(client, lang)
    deliver(app)
    links = links_in(smtp.wait_for(1)[0].text)
    manage = re.search(rf"/{lang}/sign/manage/[\w-]+", smtp.messages[0].text).group(0)
    letter = f"/{lang}/letters/{SHIPPED_LETTER}"
    paths = [
        f"/{lang}/", f"{letter}/", f"/{lang}/sign", f"/{lang}/sign/check-your-inbox", f"/{lang}/sign/thank-you",
        links["confirm"], links["withdraw"], links["not-me"], manage, f"/{lang}/sign/withdrawn",
        f"/{lang}/sign/not-me-done", f"/{lang}/signatories", f"{letter}/signatories", f"/{lang}/print",
        f"/{lang}/privacy", f"/{lang}/accessibility", f"/{lang}/timeline", f"{letter}/timeline", f"/{lang}/versions",
        f"{letter}/versions", f"/{lang}/snapshots", f"{letter}/snapshots", f"/{lang}/share/mastodon",
        f"/{lang}/updates/stop/{'x' * 43}", f"/{lang}/partners/{partner_token}", f"/{lang}/sign/confirm/{'y' * 43}",
    ]
    site, signatories = translated(app, lang, "Site"), translated(app, lang, "Signatories")
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 404, 410), path
        html = response.get_data(as_text=True)
        assert re.search(rf'<nav class="site-nav" aria-label="{site}"><a href="/{lang}/(letters/{SHIPPED_LETTER}/)?'
                         rf'signatories">{signatories}</a></nav>', html), path


# --- list states ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_an_empty_list_invites_the_first_signature(app, client, db, tmp_path, lang):
    from campaign import letters

    write_letter_file(tmp_path / "quiet-letter", "en", "A quiet letter", "Nobody has signed this yet.",
                      published="2020-01-01", contact="quiet@example.org")
    letters.load_letters(tmp_path, app.config["LANGUAGES"])
    html = client.get(f"/{lang}/letters/quiet-letter/signatories").get_data(as_text=True)
    assert translated(app, lang, "Nobody is on the list yet. Be the first to sign.") in html
    assert translated(app, lang, "No signatures match.") not in html


def test_organisations_by_name_can_be_jumped_to_by_their_first_letter(app, client, db):
    for name in ("Alpha Group", "Beta Network", "Gamma Watch"):
        published(organisation=name)
    html = client.get("/en/signatories?kind=organisation").get_data(as_text=True)
    jumps = re.findall(r'href="/en/signatories\?kind=organisation&amp;start=(\w)"', html)
    assert {"a", "b", "g"} <= set(jumps)
    from_b = client.get("/en/signatories?kind=organisation&start=b").get_data(as_text=True)
    assert "Beta Network" in from_b and "Alpha Group" not in from_b and 'rel="prev"' in from_b


def test_the_organisations_section_counts_what_it_shows(app, client, db):
    published(organisation="Counted Org")
    html = client.get("/en/signatories").get_data(as_text=True)
    organisations = re.search(r'id="section-organisation">.*?<span class="count">\((\d+)\)</span>', html, re.S)
    shown = html.split('id="section-organisation"')[1].split("</section>")[0].count('class="signatory"')
    assert int(organisations.group(1)) == shown == 1


# --- paused: no dead end --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/en/", "/en/signatories", "/en/timeline", f"/en/letters/{SHIPPED_LETTER}/timeline",
                                  f"/embed/{SHIPPED_LETTER}/counter?lang=en"])
def test_while_signing_is_paused_no_page_offers_a_sign_button(app, client, db, path):
    from campaign.signing import rules

    assert "/sign\"" in client.get(path).get_data(as_text=True), "open, the page offers to sign"
    rules.set_signing_paused(True)
    html = client.get(path).get_data(as_text=True)
    assert "/sign\"" not in html and "Signing is paused for a short while." in html
    assert translated(app, "en", "Sign the letter") not in html


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_while_signing_is_paused_the_expired_link_and_privacy_pages_send_nobody_to_the_form(app, client, db, smtp,
                                                                                            lang):
    from sqlalchemy import update

    from campaign.models import SignatureToken
    from campaign.signing import rules

    sign(client, lang)
    deliver(app)
    withdraw = links_in(smtp.wait_for(1)[0].text)["withdraw"]
    db.session.execute(update(SignatureToken).values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)))
    db.session.commit()
    go = translated(app, lang, "Go to the sign form")
    paused = translated(app, lang, "Signing is paused for a short while. Please come back later.")
    for path in (withdraw, f"/{lang}/privacy"):
        html = client.get(path).get_data(as_text=True)
        assert go in html and paused not in html and f'href="/{lang}/sign"' in html.replace(
            "https://campaign.example", ""), path
    rules.set_signing_paused(True)
    expired = client.get(withdraw)
    assert expired.status_code == 410
    for html in (expired.get_data(as_text=True), client.get(f"/{lang}/privacy").get_data(as_text=True)):
        assert paused in html and go not in html
        assert f'/{lang}/sign"' not in html


def test_each_confirmation_email_names_the_signature_it_confirms(app, client, db, smtp):
    """A coordinator signing for two organisations and as a person gets three emails: each says which."""
    sign(client, email=EMAIL, organisation="Rights Collective")
    sign(client, email=EMAIL, organisation="Digital Defenders")
    sign(client, email=EMAIL, kind="individual", organisation="", name="Amal Haddad")
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    deliver(app)
    texts = sorted(message.text for message in smtp.wait_for(3))
    assert sum("Signed as: Rights Collective" in text for text in texts) == 1
    assert sum("Signed as: Digital Defenders" in text for text in texts) == 1
    assert sum("Signed as: Amal Haddad" in text for text in texts) == 1


def test_a_persons_organisation_reads_as_their_affiliation(app, client, db, smtp):
    """A person signing with their university beside their name does not sign on its behalf."""
    sign(client, email=EMAIL, kind="individual", organisation="Beirut University", name="Amal Haddad")
    deliver(app)
    page = client.get(links_in(smtp.wait_for(1)[0].text)["confirm"]).get_data(as_text=True)
    assert "<dt>Affiliation</dt>" in page and "<dt>Organisation</dt>" not in page
