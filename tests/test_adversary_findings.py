"""What an outside attacker found against the running site, each kept from coming back."""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest
from sqlalchemy import func, select

from campaign import create_app
from campaign.mail import delivery
from campaign.models import OutboxMessage, Signature, SignatureStatus
from campaign.moderation import flags

from .factories import links_in, log_in, make_admin, make_signature, published, sign, translated
from .smtp_sink import free_port


def test_a_rate_limit_store_that_never_answers_counts_as_down_within_a_second(app, app_config, db):
    """A store that accepts connections and then says nothing must not hold every submission."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", free_port()))
    listener.listen(16)
    held = []
    threading.Thread(target=lambda: [held.append(listener.accept()) for _ in range(8)], daemon=True).start()
    try:
        silent = create_app({**app_config, "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{listener.getsockname()[1]}/0"})
        client = silent.test_client()
        started = time.monotonic()
        responses = [sign(client, email=f"p{n}@example.org") for n in range(2)]
        assert time.monotonic() - started < 6
        assert [response.status_code for response in responses] == [303, 303]
    finally:
        listener.close()


def _cursor(value) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/api/v1/letters/ban-biometric-surveillance/signatories?cursor=",
                                  "/api/v1/letters/ban-biometric-surveillance/signatories?direction=prev&cursor=",
                                  "/en/signatories?kind=individual&after=", "/en/signatories?kind=organisation&before="])
def test_a_cursor_with_a_lone_surrogate_is_no_position(client, db, path):
    published(kind="individual", name="Listed Person")
    response = client.get(path + _cursor(["\ud800", 1]))
    assert response.status_code == 200


@pytest.mark.parametrize("blank", ["\u2028", "\u200b", "\t", " \u3164 "])
def test_a_correction_cannot_empty_a_name_or_an_organisation(app, client, db, smtp, blank):
    sign(client, kind="individual", name="Real Name", organisation=None, website=None)
    with app.app_context():
        delivery.deliver_due()
    token = re.search(r"/sign/manage/([\w-]+)", smtp.wait_for(1)[0].text).group(1)
    page = client.get(f"/en/sign/manage/{token}")
    fields = dict(re.findall(r'name="(csrf_token)" type="hidden" value="([^"]*)"', page.get_data(as_text=True)))
    response = client.post(f"/en/sign/manage/{token}", data={**fields, "name": blank, "country": "LB"})
    assert response.status_code == 422
    assert translated(app, "en", "This field cannot be empty.") in response.get_data(as_text=True)
    assert db.session.scalar(select(Signature.name)) == "Real Name"


def test_a_moderator_cannot_empty_an_organisation_name(app, client, db):
    signature = make_signature(organisation="Keep This Org")
    log_in(client, make_admin(role="admin"))
    page = client.get(f"/admin/signatures/{signature.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/signatures/{signature.id}", data={
        "csrf_token": token, "organisation": "\u200b", "name": signature.name, "country": "BR"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Signature, signature.id).organisation == "Keep This Org"


@pytest.mark.parametrize("reason", ["\t", "\n", "\r\n", "\u2029"])
def test_a_rejection_reason_made_of_blanks_is_asked_for_again_not_a_500(app, client, db, reason):
    signature = make_signature()
    log_in(client, make_admin(role="admin"))
    page = client.get("/admin/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/admin/signatures/decide", data={
        "csrf_token": token, "ids": str(signature.id), "decision": "reject", "reason": reason, "back": "/admin/"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Signature, signature.id).status is SignatureStatus.VERIFIED


def test_confirming_while_the_signer_says_it_was_not_them_takes_turns(app, db, smtp, backend):
    if backend != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL; SQLite serialises writers")
    app.config["WTF_CSRF_ENABLED"] = False
    for round_number in range(4):
        client = app.test_client()
        assert sign(client, email=f"race{round_number}@example.org").status_code == 303
    with app.app_context():
        delivery.deliver_due()
    messages = smtp.wait_for(4)
    statuses: list = []
    for message in messages:
        links = links_in(message.text)
        barrier = threading.Barrier(4)

        def confirm(path=links["confirm"], barrier=barrier):
            barrier.wait()
            statuses.append(app.test_client().post(path).status_code)

        def not_me(path=links["not-me"], barrier=barrier):
            barrier.wait()
            statuses.append(app.test_client().post(path).status_code)

        threads = [threading.Thread(target=confirm) for _ in range(3)] + [threading.Thread(target=not_me)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert all(status < 500 for status in statuses), statuses
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0, "every not-me went through"


@pytest.mark.parametrize("typed, stored", [
    ("example.org", "https://example.org"),
    ("www.example.org/about", "https://www.example.org/about"),
    ("http://example.org", "http://example.org"),
    ("https://ñandú.example", "https://ñandú.example"),
])
def test_a_website_is_kept_with_its_scheme(app, client, db, typed, stored):
    assert sign(client, website=typed).status_code == 303
    assert db.session.scalar(select(Signature.website)) == stored


@pytest.mark.parametrize("typed", ["https://=evil.example.org/", "https://user:pw@example.org", "javascript:alert(1)",
                                   "https://127.0.0.1/", "https://example", "ftp://example.org"])
def test_a_website_that_is_not_one_is_refused(app, client, db, typed):
    response = sign(client, website=typed)
    assert response.status_code == 422
    assert translated(app, "en", "Enter a web address, such as example.org.") in response.get_data(as_text=True)


def test_a_look_alike_website_domain_is_flagged(app, db):
    signature = make_signature(website="https://\u0430pple.com")
    assert flags.MIXED_SCRIPTS in flags.flags_for([signature])[0]


def test_a_fullwidth_address_is_the_same_mailbox(app, client, db):
    assert sign(client, email="dupuser@example.org").status_code == 303
    assert sign(client, email="\uff44upuser@example.org").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 1


def test_text_keeps_what_writing_needs_and_refuses_decoration(app, client, db):
    from campaign.text import UnsafeText, clean_text

    assert clean_text("Family \U0001f468\u200d\U0001f469\u200d\U0001f467") == "Family \U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_text("Hangul\u3164Filler") == "Hangul Filler"
    with pytest.raises(UnsafeText):
        clean_text("Z" + "\u0301" * 8)
    assert sign(client, name="Z" + "\u0301\u0300" * 4).status_code == 422


def test_the_admin_csv_names_its_charset_once(app, client, db):
    log_in(client, make_admin(role="admin"))
    response = client.get("/admin/export.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize("reply", ["550 <enc.quote%40example.org> unknown", "550 user \"Enc.Quote\" unknown",
                                   "550 ENC.QUOTE@EXAMPLE.ORG unknown"])
def test_an_smtp_reply_quoting_the_address_in_any_form_is_stored_without_it(app, db, smtp, reply):
    from campaign.mail import outbox
    from campaign.mail.rendering import EmailKind

    smtp.refuse["enc.quote@example.org"] = reply
    with app.test_request_context():
        outbox.enqueue(EmailKind.DIGEST, "enc.quote@example.org", "en", waiting=1, queue_url="x")
        outbox.db.session.commit()
    with app.app_context():
        delivery.deliver_due()
    error = db.session.scalar(select(OutboxMessage.last_error))
    assert "550" in error and "enc.quote" not in error.casefold()
