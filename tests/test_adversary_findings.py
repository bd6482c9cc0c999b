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

    def hold_connections() -> None:
        """Accept and never answer, until the listener closes (its ``accept`` then raises)."""
        try:
            while True:
                held.append(listener.accept()[0])
        except OSError:
            return

    holder = threading.Thread(target=hold_connections, daemon=True)
    holder.start()
    try:
        silent = create_app({**app_config, "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{listener.getsockname()[1]}/0"})
        client = silent.test_client()
        started = time.monotonic()
        responses = [sign(client, email=f"p{n}@example.org") for n in range(2)]
        assert time.monotonic() - started < 6
        assert [response.status_code for response in responses] == [303, 303]
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        holder.join(timeout=5)
        for connection in held:
            connection.close()


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
    from campaign.models import EmailKind

    smtp.refuse["enc.quote@example.org"] = reply
    with app.test_request_context():
        outbox.enqueue(EmailKind.DIGEST, "enc.quote@example.org", "en", waiting=1, queue_url="x")
        outbox.db.session.commit()
    with app.app_context():
        delivery.deliver_due()
    error = db.session.scalar(select(OutboxMessage.last_error))
    assert "550" in error and "enc.quote" not in error.casefold()


def test_details_sent_again_for_a_pending_address_are_confirmed_only_by_the_newest_link(app, client, db, smtp):
    """Anyone may type a pending signer's address with other details once the pause between emails
    has passed: the owner clicking the first email then confirmed the stranger's words. Now the
    earlier link expires (its page offers a fresh one, showing the new details)."""
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    sign(client, kind="individual", name="Owner Of The Address", organisation=None, website=None,
         email="owner@example.org")
    with app.app_context():
        delivery.deliver_due()
    first = links_in(smtp.wait_for(1)[0].text)["confirm"]
    sign(client, kind="individual", name="Words Of A Stranger", organisation=None, website=None,
         email="owner@example.org")
    with app.app_context():
        delivery.deliver_due()
    second_email = smtp.wait_for(2)[1].text
    assert "Words Of A Stranger" in second_email
    assert _confirm(client, first).status_code == 410
    signature = db.session.scalar(select(Signature).execution_options(populate_existing=True))
    assert signature.status is SignatureStatus.PENDING
    assert _confirm(client, links_in(second_email)["confirm"]).status_code == 303
    db.session.refresh(signature)
    assert signature.status is not SignatureStatus.PENDING and signature.name == "Words Of A Stranger"


def _confirm(client, path):
    """Open a confirm link and press its button, as the signer does."""
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data=dict(re.findall(r'name="(csrf_token)" type="hidden" value="([^"]*)"', page)))


def test_the_same_details_sent_again_keep_the_first_link_working(app, client, db, smtp):
    app.config["RESEND_COOLDOWN_SECONDS"] = 0
    details = {"kind": "individual", "name": "Same Person", "organisation": None, "website": None,
               "email": "same@example.org"}
    sign(client, **details)
    with app.app_context():
        delivery.deliver_due()
    first = links_in(smtp.wait_for(1)[0].text)["confirm"]
    sign(client, **details)
    assert _confirm(client, first).status_code == 303
    signature = db.session.scalar(select(Signature).execution_options(populate_existing=True))
    assert signature.status is not SignatureStatus.PENDING


@pytest.mark.parametrize("local_part, accepted", [("a" * 64, True), ("a" * 65, False), ("é" * 32, True),
                                                   ("é" * 33, False)])
def test_the_part_before_the_at_is_held_to_what_mail_servers_take(app, client, db, local_part, accepted):
    response = sign(client, email=f"{local_part}@example.org")
    if accepted:
        assert response.status_code == 303
        return
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The part before the @ is too long" in html
    assert f'value="{local_part}@example.org"' in html, "the address comes back to be corrected"


def test_a_body_without_a_length_is_refused_not_cut_short(client, db):
    """A chunked body has no Content-Length: Werkzeug read such a form only up to the size limit
    and parsed what it had, so an oversized form was silently cut and accepted. Browsers and nginx
    always send a length; a body without one is refused (411), in JSON under /api/."""
    for path in ("/en/sign", "/api/v1/letters/ban-biometric-surveillance"):
        response = client.post(path, data=b"name=x", headers={"Transfer-Encoding": "chunked",
                                                               "Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 411, path
    assert response.is_json and response.json["error"]["status"] == 411
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0


def test_options_is_answered_without_a_body_or_a_content_type(client, db):
    for path in ("/api/v1/letters/ban-biometric-surveillance", "/en/"):
        response = client.options(path)
        assert response.status_code == 204, path
        assert "GET" in response.headers["Allow"]
        assert "Content-Type" not in response.headers and response.data == b""
