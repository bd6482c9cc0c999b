"""Campaign updates to signers who asked for news, and notices when a signed text changes (issue 20):
composed and approved by two admins, queued with the private key where it lives, sent by the outbox
with a one-click unsubscribe, each signer once, never more often than the minimum days."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from campaign import letters
from campaign.crypto import generate_seal_keypair
from campaign.extensions import db as database
from campaign.mail import delivery, outbox, updates
from campaign.models import AuditEntry, EmailKind, Signature, Update, UpdateKind, UpdateStatus

from .factories import LANGUAGES, make_admin, make_signature, shipped_letter, translated, write_letter_file
from .test_signing import csrf_of

SITE = "https://campaign.example"


@pytest.fixture
def key_file(tmp_path, seal_keys) -> Path:
    path = tmp_path / "private.key"
    path.write_text(seal_keys[1])
    return path


@pytest.fixture
def admins(db):
    return make_admin("author@campaign.example", role="admin"), make_admin("second@campaign.example", role="admin")


def approved_update(admins, texts: dict[str, tuple[str, str]]) -> Update:
    author, second = admins
    update = updates.create(shipped_letter(), author)
    for language, (subject, body) in texts.items():
        updates.save_text(update, language, subject, body, author)
    updates.ask_approval(update, author)
    updates.approve(update, second)
    return update


# An image shows its description only; a link leads to a page of the site (an address off the site
# is refused on saving: test_an_address_off_the_site_is_refused_and_the_text_comes_back).
NEWS = {"en": ("News from the campaign", "We met the **ministry**.\n\n![pixel](/static/p.gif) "
                                         "[the timeline](/en/letters/ban-biometric-surveillance/timeline)"),
        "es": ("Noticias de la campaña", "Nos reunimos con el **ministerio**.")}


def send(app, update_id: int, key_file: Path):
    result = app.test_cli_runner().invoke(args=["updates", "send", str(update_id), "--private-key", str(key_file)])
    assert result.exit_code == 0, result.output
    return result.output


def unsubscribe(message) -> str:
    """The List-Unsubscribe header (a long one is folded on the wire)."""
    return str(message.message["List-Unsubscribe"]).strip()


def received(smtp) -> dict[str, object]:
    return {message.envelope_to[0]: message for message in smtp.messages}


def test_an_update_in_two_languages_reaches_exactly_the_signers_who_asked_each_in_their_language(
        app, db, smtp, admins, key_file, seal_keys):
    make_signature(email="en.news@example.org", consent_updates=True)
    make_signature(email="es.news@example.org", consent_updates=True, language="es")
    make_signature(email="fr.news@example.org", consent_updates=True, language="fr")
    make_signature(email="published.news@example.org", consent_updates=True, status="published")
    make_signature(email="no.news@example.org", consent_updates=False)
    make_signature(email="pending.news@example.org", consent_updates=True, status="pending")
    make_signature(email="rejected.news@example.org", consent_updates=True, status="rejected")
    update = approved_update(admins, NEWS)

    assert "queued 4, held back 0" in send(app, update.id, key_file)
    delivery.deliver_due()
    mail = received(smtp)
    assert set(mail) == {"en.news@example.org", "es.news@example.org", "fr.news@example.org",
                         "published.news@example.org"}
    assert mail["en.news@example.org"].message["Subject"] == "News from the campaign"
    assert "We met the <strong>ministry</strong>." in mail["en.news@example.org"].html
    assert mail["es.news@example.org"].message["Subject"] == "Noticias de la campaña"
    assert "Nos reunimos con el <strong>ministerio</strong>." in mail["es.news@example.org"].html
    french = mail["fr.news@example.org"]
    assert french.message["Subject"] == "News from the campaign"  # the original, with a line saying so
    notice = translated(app, "fr", "This update was not written in your language; here it is in %(language)s.",
                        language="anglais")  # English named in French, as the sentence needs it
    assert notice in french.text
    for message in mail.values():
        headers = message.message
        assert re.fullmatch(rf"<{SITE}/\w+/updates/stop/[\w-]+>", unsubscribe(message))
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert headers["Precedence"] == "bulk" and headers["Auto-Submitted"] == "auto-generated"
        stop_url = unsubscribe(message)[1:-1]
        assert stop_url in message.text and stop_url in message.html  # a visible link too
        assert "<img" not in message.html
        for link in re.findall(r'(?:href|src)="([^"]+)"', message.html) + re.findall(r"https?://\S+", message.text):
            assert re.match(rf"{SITE}/\w+(/letters/[\w-]+)?(/|/timeline|/updates/stop/[\w-]+|/sign/manage/[\w-]+)?\)?$",
                            link), link

    # The database after sending holds no address and no key.
    dump = database_dump()
    for address in mail:
        assert address not in dump
    assert seal_keys[1] not in dump
    entries = {entry.action for entry in db.session.scalars(select(AuditEntry))}
    assert {"update.created", "update.approval_asked", "update.approved", "update.sent"} <= entries


def database_dump() -> str:
    """Every value of every table, as text."""
    metadata = MetaData()
    metadata.reflect(bind=database.engine)
    values = []
    for table in metadata.sorted_tables:
        for row in database.session.execute(select(table)):
            values += [value.decode("latin-1") if isinstance(value, bytes) else str(value) for value in row]
    return "\n".join(values)


def test_an_updates_links_lead_to_the_sites_own_pages_in_both_versions_of_the_email(app):
    """Markdown's link syntax reads as a link (HTML) or as words and an address (text), never as
    brackets; an address off the site (stored before the check, say) keeps only its words."""
    body = ("Read [the timeline](/en/letters/ban-biometric-surveillance/timeline) and "
            "[the list](https://campaign.example/en/signatories \"the list\"); "
            "not [elsewhere](https://tracker.example/p?id=1), [a script](javascript:alert(1)) "
            "nor ![a pixel](/static/p.gif).")
    with app.test_request_context():
        html, text = str(updates.body_html(body)), updates.body_text(body)
    assert re.findall(r'href="([^"]+)"', html) == [
        "https://campaign.example/en/letters/ban-biometric-surveillance/timeline", "https://campaign.example/en/signatories"]
    assert ">the timeline</a>" in html and "elsewhere" in html and "a script" in html and "a pixel" in html
    assert "<img" not in html and "tracker.example" not in html and "javascript" not in html and "[" not in html
    assert text == ("Read the timeline (https://campaign.example/en/letters/ban-biometric-surveillance/timeline) and "
                    "the list (https://campaign.example/en/signatories); not elsewhere, a script nor a pixel.")


def test_the_author_cannot_approve_their_own_update_nor_a_moderator_write_one(app, db, admins):
    author, _second = admins
    update = updates.create(shipped_letter(), author)
    updates.save_text(update, "en", *NEWS["en"], author)
    updates.ask_approval(update, author)
    with pytest.raises(updates.UpdateError):
        updates.approve(update, author)
    with pytest.raises(updates.UpdateError):
        updates.create(shipped_letter(), make_admin("moderator@campaign.example"))
    assert update.status is UpdateStatus.AWAITING
    refused = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "update.self_approval_refused"))
    assert refused is not None and refused.actor_id == author.id and refused.target_id == update.id, \
        "an attempt to be both author and approver is in the audit trail"


def test_whoever_rewrote_an_update_cannot_approve_it(app, db, admins):
    """Two people see every mass email: an admin who rewrites another's draft, then asks for
    approval, is one of its writers and cannot be its approver too; the first author can."""
    author, second = admins
    update = updates.create(shipped_letter(), author)
    updates.save_text(update, "en", *NEWS["en"], author)
    updates.save_text(update, "en", "Rewritten", "Rewritten by the second admin.", second)
    updates.ask_approval(update, second)
    with pytest.raises(updates.UpdateError):
        updates.approve(update, second)
    assert update.status is UpdateStatus.AWAITING and updates.wrote(update, second)
    updates.approve(update, author)  # the first author did not write the text that goes: their eyes are the second pair
    assert update.status is UpdateStatus.APPROVED


def test_a_key_that_is_not_the_sealing_key_s_pair_is_refused_before_anything_is_queued(app, db, admins, tmp_path):
    make_signature(email="en.news@example.org", consent_updates=True)
    update = approved_update(admins, {"en": NEWS["en"]})
    wrong = tmp_path / "snapshot-signing.key"
    wrong.write_text(generate_seal_keypair()[1] + "\n")
    result = app.test_cli_runner().invoke(args=["updates", "send", str(update.id), "--private-key", str(wrong)])
    assert result.exit_code != 0 and "not the private half of FLASK_SEAL_PUBLIC_KEY" in result.output
    assert outbox.health().waiting == 0 and db.session.get(Update, update.id).status is UpdateStatus.APPROVED


def test_an_update_not_approved_is_not_sent(app, db, admins, key_file):
    make_signature(email="en.news@example.org", consent_updates=True)
    author, _second = admins
    update = updates.create(shipped_letter(), author)
    updates.save_text(update, "en", *NEWS["en"], author)
    result = app.test_cli_runner().invoke(args=["updates", "send", str(update.id), "--private-key", str(key_file)])
    assert result.exit_code != 0 and "not approved" in result.output
    assert db.session.scalar(select(database.func.count()).select_from(Update)) == 1
    assert outbox.health().waiting == 0


def test_one_click_unsubscribe_by_a_bare_post_stops_the_next_update(app, client, db, smtp, admins, key_file):
    app.config["UPDATES_MIN_DAYS"] = 0
    make_signature(email="stays@example.org", consent_updates=True)
    leaving = make_signature(email="leaves@example.org", consent_updates=True)
    as_a_person = make_signature(email="leaves@example.org", consent_updates=True, kind="individual",
                                 name="Leila Leaving")  # the same address signed twice: one news stop for both
    first = approved_update(admins, {"en": NEWS["en"]})
    send(app, first.id, key_file)
    delivery.deliver_due()
    stop_url = unsubscribe(received(smtp)["leaves@example.org"])[1:-1]
    path = stop_url.removeprefix(SITE)
    page = client.get(path)
    assert page.status_code == 200 and "<form method=\"post\"" in page.get_data(as_text=True)
    # What a mail provider sends (RFC 8058): no session, no form token, no login.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert db.session.get(Signature, leaving.id).consent_updates is False
    assert db.session.get(Signature, as_a_person.id).consent_updates is False
    for cut_short in (path[:-5], path.replace("/updates/stop/", "/updates/stop/x")):
        for answer in (client.get(cut_short), client.post(cut_short)):
            said = answer.get_data(as_text=True)
            assert answer.status_code == 404 and "This unsubscribe link does not work" in said, \
                "a link cut short says so, and where else the news stops"
            assert "stop the news from your own page" in said

    smtp.messages.clear()
    second = approved_update(admins, {"en": ("Second news", "More.")})
    send(app, second.id, key_file)
    delivery.deliver_due()
    assert set(received(smtp)) == {"stays@example.org"}


def test_a_second_update_within_the_minimum_days_is_held_back(app, db, smtp, admins, key_file):
    make_signature(email="had.news@example.org", consent_updates=True)
    first = approved_update(admins, {"en": NEWS["en"]})
    send(app, first.id, key_file)
    make_signature(email="new.signer@example.org", consent_updates=True)
    second = approved_update(admins, {"en": ("Second news", "More.")})
    assert "queued 1, held back 1" in send(app, second.id, key_file)
    assert db.session.get(Update, second.id).status is UpdateStatus.SENDING, "not all queued: not 'sent'"
    delivery.deliver_due()
    subjects = [(message.envelope_to[0], message.message["Subject"]) for message in smtp.messages]
    assert sorted(subjects) == [("had.news@example.org", "News from the campaign"),
                                ("new.signer@example.org", "Second news")]


def test_an_interrupted_send_resumed_sends_nobody_twice(app, db, smtp, admins, key_file, seal_keys, monkeypatch):
    for number in range(5):
        make_signature(email=f"signer{number}@example.org", consent_updates=True)
    update = approved_update(admins, {"en": NEWS["en"]})
    calls = {"n": 0}
    original = updates.crypto.unseal

    def dies_on_the_fourth(key: str, box: bytes) -> str:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # the operator's ^C, or a lost connection, mid-batch
        return original(key, box)

    monkeypatch.setattr(updates.crypto, "unseal", dies_on_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        updates.queue(update.id, seal_keys[1], batch_size=2)
    database.session.rollback()
    assert outbox.health().waiting == 2  # the first batch, committed with its ledger
    monkeypatch.setattr(updates.crypto, "unseal", original)
    assert "queued 3" in send(app, update.id, key_file)
    assert "queued 0" in send(app, update.id, key_file)  # and again: nothing more
    delivery.deliver_due()
    recipients = sorted(message.envelope_to[0] for message in smtp.messages)
    assert recipients == sorted(f"signer{number}@example.org" for number in range(5))


def test_one_address_signing_twice_gets_the_update_once(app, db, smtp, admins, key_file):
    make_signature(email="both@example.org", consent_updates=True, kind="individual")
    make_signature(email="both@example.org", consent_updates=True, kind="organisation")
    update = approved_update(admins, {"en": NEWS["en"]})
    send(app, update.id, key_file)
    delivery.deliver_due()
    assert [message.envelope_to[0] for message in smtp.messages] == ["both@example.org"]


@pytest.mark.parametrize("batch_size", [1, 10])
def test_the_outbox_sends_verification_mail_before_a_mailing(app, db, smtp, admins, key_file, batch_size):
    """Claimed first, and first within a batch that holds both."""
    app.config["OUTBOX_BATCH_SIZE"] = batch_size
    for number in range(3):
        make_signature(email=f"reader{number}@example.org", consent_updates=True)
    update = approved_update(admins, {"en": NEWS["en"]})
    send(app, update.id, key_file)
    outbox.enqueue(EmailKind.DIGEST, "moderator@campaign.example", "en", count=1,
                   queue_url=f"{SITE}/admin/queue")
    database.session.commit()
    delivery.deliver_batch()
    assert smtp.messages[0].envelope_to == ["moderator@campaign.example"]
    assert len(smtp.messages) == min(batch_size, 4)


def test_the_stop_token_is_left_out_of_the_log():
    from campaign.logs import redact

    assert redact("POST /ar/updates/stop/AbC-123_xyz HTTP/1.1") == "POST /ar/updates/stop/[token] HTTP/1.1"


# --- change notices ---------------------------------------------------------------------------

SLUG = "a-letter"


def write_original(folder: Path, body: str) -> None:
    write_letter_file(folder, "en", "A letter", body, published="2024-01-02", contact="letter@example.org")


def test_a_changed_text_drafts_a_notice_that_after_approval_reaches_the_previous_versions_signers(
        app, client, db, smtp, admins, key_file, tmp_path):
    folder = tmp_path / SLUG
    write_original(folder, "We call for a ban on facial recognition.")
    write_letter_file(folder, "es", "Una carta", "Pedimos prohibir el reconocimiento facial.", translated_from="en")
    letters.load_letters(folder.parent, LANGUAGES)
    letter = letters.letter_by_slug(SLUG)
    signed = {text.language: text.version for text in letter.texts if text.current}
    make_signature(email="signed.en@example.org", letter_id=letter.id, letter_version=signed["en"])
    make_signature(email="es.signer@example.org", letter_id=letter.id, letter_version=signed["es"], language="es")

    write_original(folder, "We call for a complete ban on facial recognition.")
    result = app.test_cli_runner().invoke(args=["letters", "load", "--directory", str(folder.parent)])
    assert result.exit_code == 0, result.output
    assert "change notice" in result.output and "awaits" in result.output
    notice = db.session.scalar(select(Update).where(Update.kind == UpdateKind.CHANGE_NOTICE))
    assert notice.language == "en" and notice.previous_version == signed["en"]
    versions_page = client.get(f"/en/letters/{SLUG}/versions").get_data(as_text=True)
    assert "<ins>complete</ins>" in re.sub(r'<span class="visually-hidden"[^>]*>[^<]*</span>', "", versions_page)
    make_signature(email="signed.later@example.org", letter_id=letter.id,
                   letter_version=[t.version for t in letter.texts if t.current and t.language == "en"][0])

    result = app.test_cli_runner().invoke(args=["updates", "send", str(notice.id), "--private-key", str(key_file)])
    assert result.exit_code != 0  # not approved yet
    updates.approve(notice, admins[1])
    send(app, notice.id, key_file)
    delivery.deliver_due()
    [message] = smtp.messages
    assert message.envelope_to == ["signed.en@example.org"]  # whatever their news choice (they chose none)
    assert message.message["List-Unsubscribe"] is None  # transactional: nothing to unsubscribe from
    assert f"{SITE}/en/letters/{SLUG}/versions#v-{notice.new_version[:12]}" in message.text
    assert re.search(rf"{SITE}/en/letters/{SLUG}/sign/withdraw/[\w-]+", message.text) or \
        re.search(rf"{SITE}/en/sign/withdraw/[\w-]+", message.text)


def test_an_address_that_signed_more_than_once_gets_one_notice_with_each_signatures_own_links(
        app, client, db, smtp, admins, key_file, tmp_path):
    """A coordinator signed for two organisations and as a person, with one address: one email,
    and in it a withdraw link for each signature, each withdrawing its own."""
    folder = tmp_path / SLUG
    write_original(folder, "We call for a ban on facial recognition.")
    letters.load_letters(folder.parent, LANGUAGES)
    letter = letters.letter_by_slug(SLUG)
    signed = next(text.version for text in letter.texts if text.current and text.language == "en")
    coordinator = "coordinator@example.org"
    signatures = [make_signature(email=coordinator, letter_id=letter.id, letter_version=signed, organisation=name)
                  for name in ("First Collective", "Second Network")]
    signatures.append(make_signature(email=coordinator, letter_id=letter.id, letter_version=signed, kind="individual",
                                     name="Rana Coordinator"))
    make_signature(email="alone@example.org", letter_id=letter.id, letter_version=signed)
    write_original(folder, "We call for a complete ban on facial recognition.")
    result = app.test_cli_runner().invoke(args=["letters", "load", "--directory", str(folder.parent)])
    assert result.exit_code == 0, result.output
    notice = db.session.scalar(select(Update).where(Update.kind == UpdateKind.CHANGE_NOTICE))
    updates.approve(notice, admins[1])
    said = send(app, notice.id, key_file)
    assert "queued 2, held back 0" in said and "skipped 0; 4 signatures reached" in said, said
    delivery.deliver_due()
    mail = received(smtp)
    assert sorted(message.envelope_to[0] for message in smtp.messages) == ["alone@example.org", coordinator]
    alone, message = mail["alone@example.org"], mail[coordinator]
    assert "more than once" not in alone.text and "more than once" not in alone.html
    assert "You signed more than once with this address" in message.text
    assert "For Second Network" in message.text and "As an individual" in message.html
    withdraw = re.findall(rf"{SITE}(/en(?:/letters/{SLUG})?/sign/withdraw/[\w-]+)", message.text)
    assert len(set(withdraw)) == 3 and len(set(re.findall(r'href="[^"]*/sign/withdraw/[^"]+"', message.html))) == 3
    assert updates.delivered_count(notice) == 4, "each signature has its ledger row: none is told twice"
    first, second, person = (db.session.get(Signature, signature.id).organisation or "person"
                             for signature in signatures)
    named, label = {}, None
    for line in message.text.splitlines():
        if line in ("For First Collective", "For Second Network", "As an individual"):
            label = line
        elif label and (found := re.fullmatch(rf"{SITE}(/en(?:/letters/{SLUG})?/sign/withdraw/[\w-]+)", line)):
            named[label] = found.group(1)
    assert set(named) in ({"For Second Network", "As an individual"}, {"For First Collective", "As an individual"})
    main = ({"For First Collective", "For Second Network"} - set(named)).pop()
    assert f"The links above are for your signature for {main.removeprefix('For ')};" in message.text
    for label, path in named.items():
        client.post(path, data=csrf_of(client, path))
        gone = "person" if label == "As an individual" else label.removeprefix("For ")
        remaining = {signature.organisation or "person" for signature in db.session.scalars(
            select(Signature).where(Signature.email_hash == signatures[0].email_hash))}
        assert gone not in remaining, f"the link under {label!r} withdraws that signature"
    assert len(remaining) == 1 and {first, second, person} > remaining
    send(app, notice.id, key_file)
    delivery.deliver_due()
    assert len(smtp.messages) == 2, "sent again: nobody twice"


def test_a_change_after_a_revert_is_told_to_the_signers_of_the_text_it_replaced(app, db, tmp_path):
    """A, then B, then A again (an edit undone), then C: A's signers hear of C, though B was loaded
    after A's row was first made."""
    folder = tmp_path / SLUG
    write_original(folder, "We call for a ban on facial recognition.")
    letters.load_letters(folder.parent, LANGUAGES)
    letter = letters.letter_by_slug(SLUG)
    first = next(text.version for text in letter.texts if text.current)
    make_signature(email="signed.first@example.org", letter_id=letter.id, letter_version=first)
    for body in ("An edit nobody signed.", "We call for a ban on facial recognition.", "We call for a full ban."):
        write_original(folder, body)
        result = app.test_cli_runner().invoke(args=["letters", "load", "--directory", str(folder.parent)])
        assert result.exit_code == 0, result.output
    notices = db.session.scalars(select(Update).where(Update.kind == UpdateKind.CHANGE_NOTICE)
                                 .order_by(Update.id)).all()
    assert [notice.previous_version for notice in notices] == [first, first]  # to B, and to C after the revert


def test_every_change_reaches_whoever_signed_an_earlier_text(app, db, smtp, admins, key_file, tmp_path):
    """A, then B, then C: C's notice reaches the signers of A (told of B already: their signature
    now stands on C too) and of B; a fourth text with nobody on the third still has a notice."""
    folder = tmp_path / SLUG

    def load_text(body: str) -> str:
        write_original(folder, body)
        result = app.test_cli_runner().invoke(args=["letters", "load", "--directory", str(folder.parent)])
        assert result.exit_code == 0, result.output
        return next(text.version for text in letters.letter_by_slug(SLUG).texts if text.current)

    def notice_sent_to() -> set[str]:
        notice = db.session.scalars(select(Update).where(Update.kind == UpdateKind.CHANGE_NOTICE)
                                    .order_by(Update.id.desc())).first()
        updates.approve(notice, admins[1])
        smtp.messages.clear()
        send(app, notice.id, key_file)
        delivery.deliver_due()
        return {message.envelope_to[0] for message in smtp.messages}

    first = load_text("We call for a ban on facial recognition.")
    letter_id = letters.letter_by_slug(SLUG).id
    make_signature(email="signed.a@example.org", letter_id=letter_id, letter_version=first)
    second = load_text("We call for a complete ban on facial recognition.")
    make_signature(email="signed.b@example.org", letter_id=letter_id, letter_version=second)
    assert notice_sent_to() == {"signed.a@example.org"}  # B's signer signed the text now current
    load_text("We call for a complete ban on facial and gait recognition.")
    assert notice_sent_to() == {"signed.a@example.org", "signed.b@example.org"}
    load_text("We call for a complete ban on biometric recognition.")
    assert notice_sent_to() == {"signed.a@example.org", "signed.b@example.org"}


# --- in the browser's pages -------------------------------------------------------------------


def test_admins_compose_preview_and_approve_in_the_pages_and_a_moderator_cannot(app, db, admins, smtp):
    from .factories import csrf_token, log_in

    author, second = admins
    client = app.test_client()
    log_in(client, author)
    token = csrf_token(client, "/admin/updates")
    created = client.post("/admin/updates", data={"csrf_token": token, "letter": shipped_letter().slug})
    assert created.status_code == 303
    edit = created.headers["Location"]
    assert client.get(edit).status_code == 200
    saved = client.post(edit, data={"csrf_token": token, "subject": "News", "body": "We met the **ministry**."})
    assert saved.status_code == 303
    page_path = saved.headers["Location"]
    page = client.get(page_path)
    html = page.get_data(as_text=True)
    assert "frame-src 'self'" in page.headers["Content-Security-Policy"]
    preview_path = re.search(r'<iframe[^>]+src="([^"]+)"', html).group(1)
    preview = client.get(preview_path)
    assert "<strong>ministry</strong>" in preview.get_data(as_text=True)
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    assert "We met the **ministry**." in html  # the plain text, as it is sent
    update_id = int(page_path.rstrip("/").rsplit("/", 1)[1])
    assert client.post(f"/admin/updates/{update_id}/test", data={"csrf_token": token}).status_code == 303
    delivery.deliver_due()
    assert [message.envelope_to[0] for message in smtp.messages] == [author.email]
    client.post(f"/admin/updates/{update_id}/ask", data={"csrf_token": token})
    assert "/approve" not in client.get(page_path).get_data(as_text=True)  # not for its author
    client.post(f"/admin/updates/{update_id}/approve", data={"csrf_token": token})
    assert db.session.get(Update, update_id).status is UpdateStatus.AWAITING

    other = app.test_client()
    log_in(other, second)
    assert f"/admin/updates/{update_id}/approve" in other.get(page_path).get_data(as_text=True)
    other.post(f"/admin/updates/{update_id}/approve", data={"csrf_token": csrf_token(other, page_path)})
    database.session.expire_all()
    assert db.session.get(Update, update_id).status is UpdateStatus.APPROVED

    moderator_client = app.test_client()
    log_in(moderator_client, make_admin("moderator@campaign.example"))
    assert moderator_client.get("/admin/updates").status_code == 403


def test_the_list_of_updates_names_each_by_its_subject_in_the_letter_s_original_language(app, db, admins):
    from .factories import log_in

    update = approved_update(admins, {"en": NEWS["en"], "ar": ("أخبار الحملة", "التقينا بالوزارة."),
                                      "es": NEWS["es"]})
    client = app.test_client()
    log_in(client, admins[0])
    listed = client.get("/admin/updates").get_data(as_text=True)
    row = listed.split(f'/admin/updates/{update.id}"', 1)[1].split("</th>", 1)[0]
    assert "News from the campaign" in row and "أخبار الحملة" not in row


def test_an_address_off_the_site_is_refused_and_the_text_comes_back(app, db, admins):
    """Mail programs make a written address a link: an update names none but the site's own."""
    from .factories import csrf_token, log_in

    author, _second = admins
    update = updates.create(shipped_letter(), author)
    client = app.test_client()
    log_in(client, author)
    path = f"/admin/updates/{update.id}/en"
    body = "Read the ministry's answer at www.ministry.example/answer (and our own at /en/letters)."
    refused = client.post(path, data={"csrf_token": csrf_token(client, path), "subject": "News", "body": body})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "www.ministry.example/answer" in page and "ministry&#39;s answer" in page
    assert "links only to this site" in page
    assert database.session.get(Update, update.id).texts == []
    in_subject = client.post(path, data={"csrf_token": csrf_token(client, path), "subject": "See www.evil.example",
                                         "body": "Plain words."}).get_data(as_text=True)
    assert 'id="subject-error"' in in_subject and 'id="body-error"' not in in_subject, \
        "the error stands with the field that holds the address"
    for text in ("https://elsewhere.example/", "ftp://files.example/x", "HTTP://WWW.ELSEWHERE.EXAMPLE",
                 "evil.example/path", "bit.ly/abc", "<https://evil.example>"):
        with pytest.raises(updates.ForeignLink):
            updates.save_text(update, "en", "News", f"See {text}.", author)
    for fine in ("Write to press@coalition.example.", "Amnesty.org and Access Now signed; and/or 24/7."):
        assert updates.foreign_address(fine) is None, fine
    updates.save_text(update, "en", "News", f"The timeline: {SITE}/en/letters/{shipped_letter().slug}/timeline.",
                      author)  # the site's own pages may be named
    assert len(update.texts) == 1


def test_an_update_not_being_sent_is_deleted_after_asking(app, db, admins):
    from .factories import csrf_token, log_in

    author, second = admins
    empty_id = updates.create(shipped_letter(), author).id
    client = app.test_client()
    log_in(client, author)
    asked = client.get(f"/admin/updates/{empty_id}/delete")
    assert asked.status_code == 200 and "Delete update" in asked.get_data(as_text=True)
    assert database.session.get(Update, empty_id) is not None  # asking changes nothing
    deleted = client.post(f"/admin/updates/{empty_id}/delete",
                          data={"csrf_token": csrf_token(client, f"/admin/updates/{empty_id}")})
    assert deleted.status_code == 303 and "/admin/updates?letter=" in deleted.headers["Location"]
    database.session.expire_all()
    assert database.session.get(Update, empty_id) is None
    entry = database.session.scalar(select(AuditEntry).where(AuditEntry.action == "update.deleted"))
    assert entry.target_id == empty_id and entry.actor_id == author.id

    approved = approved_update(admins, {"en": NEWS["en"]})  # a mistake seen after approval: deleted too
    assert client.get(f"/admin/updates/{approved.id}/en").status_code == 303  # no form to change it
    page = client.get(f"/admin/updates/{approved.id}").get_data(as_text=True)
    assert f"/admin/updates/{approved.id}/delete" in page and "--private-key FILE" in page
    updates.discard(approved, author)
    assert database.session.get(Update, approved.id) is None


def test_an_update_whose_sending_began_stays_and_its_page_says_how_far_it_went(app, db, admins, key_file):
    from .factories import csrf_token, log_in

    make_signature(email="reached@example.org", consent_updates=True)
    sent = approved_update(admins, {"en": NEWS["en"]})
    send(app, sent.id, key_file)
    with app.test_request_context("/en/"), pytest.raises(updates.UpdateError, match="sending has begun"):
        updates.discard(sent, admins[0])
    client = app.test_client()
    log_in(client, admins[0])
    page = client.get(f"/admin/updates/{sent.id}").get_data(as_text=True)
    assert "Queued to 1 signer." in page and "--private-key FILE" not in page  # sent: nothing left to run
    assert f"/admin/updates/{sent.id}/delete" not in page
    refused = client.post(f"/admin/updates/{sent.id}/delete",
                          data={"csrf_token": csrf_token(client, f"/admin/updates/{sent.id}")})
    assert refused.status_code == 303 and database.session.get(Update, sent.id) is not None


def test_a_test_email_is_marked_as_a_test_in_its_language(app, db, admins, smtp):
    update = updates.create(shipped_letter(), admins[0])
    updates.save_text(update, "en", "News", "We met the ministry.", admins[0])
    updates.save_text(update, "es", "Noticias", "Nos reunimos.", admins[0])
    updates.send_test(update, admins[0])
    delivery.deliver_due()
    subjects = {str(message.message["Subject"]) for message in smtp.messages}
    assert subjects == {"[Test] News", translated(app, "es", "[Test] %(subject)s", subject="Noticias")}
