"""Mail that never jams, never repeats and never keeps an address.

Each test reproduces a defect found by the fault campaign (issue 14) against the real SMTP sink.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from campaign import privacy
from campaign.mail import delivery, outbox
from campaign.models import AdminUser, EmailKind, OutboxMessage, OutboxStatus, Signature, SignatureStatus, utcnow
from campaign.moderation import accounts
from campaign.signing import rows as signature_rows
from campaign.web.forms import checked_email

from .factories import (
    ADMIN_PASSWORD,
    LTR_AND_RTL,
    PROJECT_ROOT,
    SIGNER_ADDRESSES,
    TEST_CONFIG,
    csrf_token,
    links_in,
    log_in,
    make_admin,
    make_signature,
    sign,
    signature_data,
    totp_code,
    translated,
    translated_plural,
)
from .smtp_sink import SmtpSink
from .tcp_proxy import TcpProxy
from .test_stored_data import database_dump


def queue(app, *recipients: str) -> None:
    with app.test_request_context():
        for number, recipient in enumerate(recipients):
            outbox.enqueue(EmailKind.VERIFICATION, recipient, "en", letter_title="A letter",
                           signer_name=f"Reader {number}", confirm_hours=72,
                           confirm_url=f"https://campaign.example/en/sign/confirm/t{number}",
                           withdraw_url="https://campaign.example/w", not_me_url="https://campaign.example/n",
                           manage_url="https://campaign.example/m")
        outbox.db.session.commit()


def rows(db) -> list[OutboxMessage]:
    """The queued mail but the reminders (due a day later; see test_signers)."""
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind != "reminder")
                                   .order_by(OutboxMessage.id)))


@pytest.fixture
def plain_smtp():
    """A mail server that does not offer SMTPUTF8, as many still do not."""
    sink = SmtpSink(smtputf8=False)
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def app_config(app_config, request):
    if "plain_smtp" in request.fixturenames:
        sink = request.getfixturevalue("plain_smtp")
        return {**app_config, "MAIL_SERVER": sink.hostname, "MAIL_PORT": sink.port, "OUTBOX_BATCH_SIZE": 10}
    return app_config


def test_an_unencodable_recipient_fails_alone_and_every_other_message_goes_once(app, db, plain_smtp):
    others = [f"reader{n}@example.org" for n in range(8)]
    queue(app, *others[:4], "jörg@example.org", *others[4:])
    with app.app_context():
        report = delivery.deliver_due()
        again = delivery.deliver_due(now=utcnow() + dt.timedelta(hours=1))
    assert (report.sent, report.failed, report.retried) == (8, 1, 0)
    assert again.sent == again.failed == again.retried == 0, "nothing is tried again"
    received = plain_smtp.wait_for(8)
    assert sorted(address for message in received for address in message.envelope_to) == sorted(others)
    failed = [row for row in rows(db) if row.status is OutboxStatus.FAILED]
    assert len(failed) == 1 and failed[0].recipient is None and failed[0].body_text is None
    assert "SMTPUTF8" in failed[0].last_error and "jörg" not in failed[0].last_error


def test_an_international_address_goes_out_over_smtputf8(app, db, smtp):
    queue(app, "jörg@example.org")
    with app.app_context():
        assert delivery.deliver_due().sent == 1
    [received] = smtp.wait_for(1)
    assert received.envelope_to == ["jörg@example.org"]
    assert received.message["To"] == "jörg@example.org"


def test_any_exception_while_sending_one_message_is_that_message_alone(app, db, smtp, monkeypatch):
    queue(app, "first@example.org", "odd@example.org", "last@example.org")
    real = delivery.wire_message

    def failing_for_one(message, sender, date=None):
        if message.recipient == "odd@example.org":
            raise RuntimeError("something nobody foresaw for odd@example.org")
        return real(message, sender, date)

    monkeypatch.setattr(delivery, "wire_message", failing_for_one)
    with app.app_context():
        report = delivery.deliver_due()
    assert (report.sent, report.retried, report.failed) == (2, 1, 0), "an unforeseen error is retried later"
    odd = rows(db)[1]
    assert odd.status is OutboxStatus.PENDING and odd.next_attempt_at > utcnow()
    assert "RuntimeError" in odd.last_error and "odd@example.org" not in odd.last_error
    monkeypatch.setattr(delivery, "wire_message", real)
    with app.app_context():
        assert delivery.deliver_due(now=utcnow() + dt.timedelta(minutes=5)).sent == 1
    assert sorted(m.envelope_to[0] for m in smtp.wait_for(3)) == [
        "first@example.org", "last@example.org", "odd@example.org"]


def test_an_idn_domain_is_mailed_in_idna_2008(app, client, db, smtp):
    assert sign(client, email="User@Straße.de").status_code == 303
    with app.app_context():
        assert delivery.deliver_due().sent == 1
    [received] = smtp.wait_for(1)
    assert received.envelope_to == ["User@xn--strae-oqa.de"], "never strasse.de (IDNA 2003)"
    assert "confirm" in links_in(received.text)


def test_admins_at_an_idn_domain_are_stored_and_mailed_in_idna_2008(app, client, db, smtp):
    """Invited in the browser or created with the command, an account at ``straße.de`` is kept and
    mailed at ``xn--strae-oqa.de`` (as a signer's address is), and logs in as typed."""
    created = app.test_cli_runner().invoke(args=["admin", "create", "Typed@Straße.de", "--password-stdin"],
                                           input=ADMIN_PASSWORD + "\n")
    assert created.exit_code == 0 and "created typed@xn--strae-oqa.de" in created.output
    log_in(client, make_admin("boss@campaign.example", role="admin"))
    invited = client.post("/admin/accounts", data={"csrf_token": csrf_token(client, "/admin/accounts"),
                                                   "email": "Invited@STRASSE.straße.de", "role": "moderator"})
    assert invited.status_code == 200
    stored = set(db.session.scalars(select(AdminUser.email)))
    assert {"typed@xn--strae-oqa.de", "invited@strasse.xn--strae-oqa.de"} <= stored
    assert not any("ß" in email for email in stored)
    db.session.execute(update(AdminUser).values(wants_digest=True))
    db.session.commit()
    make_signature()
    assert "1 awaiting review" in app.test_cli_runner().invoke(args=["admin", "digest"]).output
    with app.app_context():
        delivery.deliver_due()
    received = {address for message in smtp.wait_for(3) for address in message.envelope_to}
    assert {"typed@xn--strae-oqa.de", "invited@strasse.xn--strae-oqa.de"} <= received, "never strasse.de (IDNA 2003)"
    assert not any("strasse.de" in address.removesuffix("xn--strae-oqa.de") for address in received)
    typed = accounts.find_admin("typed@straße.de")
    assert log_in(app.test_client(), "Typed@Straße.de", code=totp_code(typed)).status_code == 302
    assert accounts.normalise_email("TYPED@Straße.DE") == "typed@xn--strae-oqa.de"
    shown = client.get("/admin/accounts").get_data(as_text=True)
    assert "typed@straße.de" in shown and "xn--" not in shown, "people read the domain in its own letters"
    assert "typed%40stra%C3%9Fe.de" in accounts.otpauth_uri(typed), "the authenticator app's label too"


def test_a_temporary_refusal_quoting_the_address_leaves_no_address_anywhere(app, client, db, smtp):
    address = "temp.refused@example.org"
    smtp.refuse[address] = f"450 4.2.0 <{address}>: mailbox busy, try later"
    assert sign(client, email=address, organisation="Busy Mailbox").status_code == 303
    with app.app_context():
        assert delivery.deliver_due().retried == 1
    [waiting] = rows(db)
    assert waiting.status is OutboxStatus.PENDING and waiting.last_error
    assert address not in waiting.last_error and "temp.refused" not in waiting.last_error
    assert "450" in waiting.last_error

    del smtp.refuse[address]
    with app.app_context():
        assert delivery.deliver_due(now=utcnow() + dt.timedelta(minutes=2)).sent == 1
    [sent] = rows(db)
    assert sent.status is OutboxStatus.SENT and sent.last_error is None and sent.recipient is None


def test_after_failures_and_the_purge_no_address_is_in_any_column(app, client, db, smtp):
    addresses = {
        "busy": "busy.person@example.org", "refused": "refused.person@example.org",
        "sent": "sent.person@example.org", "idn": "idn.person@straße.de", "never": "never.sent@example.org",
    }
    smtp.refuse[addresses["busy"]] = f"450 4.2.0 <{addresses['busy']}> later"
    smtp.refuse[addresses["refused"]] = f"550 5.1.1 <{addresses['refused']}> no such user"
    for number, address in enumerate(addresses.values()):
        assert sign(client, email=address, organisation=f"Organisation {number}").status_code == 303
    assert sign(client, organisation="The factories' own address").status_code == 303
    make_signature(status="pending")
    with app.app_context():
        delivery.deliver_due()
    errors = " ".join(row.last_error or "" for row in rows(db))
    assert "450" in errors and "550" in errors
    assert "busy.person" not in errors and "refused.person" not in errors, "errors are stored redacted"
    app.config["OUTBOX_GIVE_UP_HOURS"] = 1
    with app.app_context():
        privacy.purge(now=utcnow() + dt.timedelta(days=2))
    dump = database_dump(db).casefold()
    used = SIGNER_ADDRESSES  # every signer's address this test handed out, the factories' defaults too
    assert set(addresses.values()) | {signature_data()["email"]} <= used and len(used) == len(addresses) + 2
    for address in used:
        with app.app_context():
            ascii_form = signature_rows.mailbox(checked_email(address))
        local = address.split("@")[0].casefold()
        for form in (address.casefold(), ascii_form.casefold(), f"{local}@"):
            assert form not in dump, f"{address} is still in the database (as {form})"
    for label in addresses:  # the local parts of this test's own addresses are distinctive: not even those
        assert addresses[label].split("@")[0].casefold() not in dump, f"{addresses[label]} is still in the database"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.last_error.is_not(None))) == 0


def test_a_claim_takes_at_most_a_batch_and_a_dead_workers_claims_return_after_the_lease(app, db, smtp):
    app.config["OUTBOX_BATCH_SIZE"] = 3
    queue(app, *(f"reader{n}@example.org" for n in range(5)))
    with app.app_context():
        claimed = delivery.claim_due(utcnow(), 3)  # then the worker "dies"
        assert [message.id for message in claimed] == [1, 2, 3]
        assert delivery.deliver_due().sent == 2, "the claimed messages wait for their lease"
        later = utcnow() + dt.timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
        assert delivery.deliver_due(now=later).sent == 3
    ids = [message.message["Message-ID"] for message in smtp.wait_for(5)]
    assert len(set(ids)) == 5


def test_two_workers_claiming_at_once_each_get_their_own_messages(app, db, backend, monkeypatch):
    """SKIP LOCKED: while one worker's claim is still open (its rows locked, not yet committed), a
    second worker's claim neither waits for it (a lock wait would fail at once) nor takes any of
    its messages; together they take each message once."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: only one claim can be open at a time")
    from sqlalchemy import text

    queue(app, *(f"reader{n}@example.org" for n in range(15)))
    now = utcnow()
    first_holds_its_claim, first_may_commit = threading.Event(), threading.Event()
    real_commit = outbox.db.session.commit
    claims: dict[str, list[int]] = {}

    def commit_held_by_the_first_worker():
        if threading.current_thread().name == "first worker" and not first_may_commit.is_set():
            first_holds_its_claim.set()
            assert first_may_commit.wait(20)
        real_commit()

    monkeypatch.setattr(outbox.db.session, "commit", commit_held_by_the_first_worker)

    def first_worker():
        with app.app_context():
            claims["first"] = [message.id for message in delivery.claim_due(now, 6)]

    first = threading.Thread(target=first_worker, name="first worker")
    first.start()
    try:
        assert first_holds_its_claim.wait(20), "the first worker claimed"
        with app.app_context():
            outbox.db.session.execute(text("SET LOCAL lock_timeout = '100ms'"))  # waiting for a lock fails
            claims["second"] = [message.id for message in delivery.claim_due(now, 6)]
    finally:
        first_may_commit.set()
        first.join(20)
    with app.app_context():
        claims["third"] = [message.id for message in delivery.claim_due(now, 6)]
    every_id = [row.id for row in rows(db)]
    assert len(claims["first"]) == len(claims["second"]) == 6 and len(claims["third"]) == 3
    assert not set(claims["first"]) & set(claims["second"]), "no message given to both workers"
    assert sorted(claims["first"] + claims["second"] + claims["third"]) == every_id
    assert all(row.attempts == 1 for row in rows(db)), "each message claimed once"


def test_a_database_away_after_the_servers_250_sends_nothing_twice(app_config, backend, smtp):
    if backend != "postgresql":
        pytest.skip("a database server to lose exists only on PostgreSQL")
    from sqlalchemy.engine import make_url

    from campaign import create_app
    from campaign.extensions import db as database

    target = make_url(app_config["SQLALCHEMY_DATABASE_URI"])
    proxy = TcpProxy(target.host, target.port)
    proxy.start()
    proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": proxied, "OUTBOX_RECORD_RETRY_SECONDS": 10})
    with app.app_context():
        database.create_all()
    try:
        queue(app, "first@example.org", "second@example.org", "third@example.org")
        outages = []

        def cut_the_database_for_a_moment():
            if not outages:
                outages.append(time.monotonic())
                proxy.stop()
                time.sleep(0.3)
                proxy.start()

        smtp.after_data = cut_the_database_for_a_moment
        with app.app_context():
            report = delivery.deliver_due()
            database.session.remove()
        assert outages, "the database went away during the run"
        assert report.sent == 3
        ids = [message.message["Message-ID"] for message in smtp.wait_for(3)]
        time.sleep(0.2)
        assert len(smtp.messages) == 3 and len(set(ids)) == 3
    finally:
        with app.app_context():
            database.session.remove()
            database.drop_all()
            database.engine.dispose()
        proxy.stop()


def _start_worker(environment: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "run"], cwd=PROJECT_ROOT, env=environment,
        stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )


def test_killing_the_worker_mid_backlog_sends_each_message_once_but_one_per_kill(app, app_config, backend, smtp,
                                                                              tmp_path):
    if backend != "postgresql":
        pytest.skip("the worker process and the test share the database only through a server")
    total, kills = 400, 3
    queue(app, *(f"reader{n}@example.org" for n in range(total)))
    environment = {
        **os.environ, "FLASK_TESTING": "true", "FLASK_SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
        "FLASK_EMAIL_HASH_KEY": TEST_CONFIG["EMAIL_HASH_KEY"], "FLASK_CLIENT_HASH_KEY": TEST_CONFIG["CLIENT_HASH_KEY"],
        "FLASK_SQLALCHEMY_DATABASE_URI": app_config["SQLALCHEMY_DATABASE_URI"],
        "FLASK_MAIL_SERVER": smtp.hostname, "FLASK_MAIL_PORT": str(smtp.port), "FLASK_MAIL_SUPPRESS_SEND": "false",
        "FLASK_OUTBOX_BATCH_SIZE": "20", "FLASK_OUTBOX_LEASE_SECONDS": "4", "FLASK_MAIL_TIMEOUT_SECONDS": "1",
        "FLASK_OUTBOX_RECORD_RETRY_SECONDS": "1", "FLASK_OUTBOX_POLL_SECONDS": "0.1",
    }
    # Slow the server a little so that each kill lands in the middle of a batch.
    smtp.after_data = lambda: time.sleep(0.004)
    log = tmp_path / "worker.log"
    for kill in range(kills):
        worker = _start_worker(environment, log)
        target = (kill + 1) * total // (kills + 2)
        deadline = time.monotonic() + 60
        while len(smtp.messages) < target and time.monotonic() < deadline:
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    worker = _start_worker(environment, log)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with app.app_context():
                left = outbox.db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.status != OutboxStatus.SENT))
                outbox.db.session.remove()
            if left == 0:
                break
            time.sleep(0.2)
        assert left == 0, f"{left} messages never went out; worker log:\n{log.read_text()[-2000:]}"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
    ids = [message.message["Message-ID"] for message in smtp.messages]
    duplicates = len(ids) - len(set(ids))
    print(f"\n{total} messages, {kills} kills with SIGKILL: {len(ids)} sent, {duplicates} duplicate(s)")
    assert len(set(ids)) == total, "every message went out"
    assert duplicates <= kills, "at most one duplicate per kill"


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_moderators_see_undelivered_mail_without_any_address(app, client, db, plain_smtp, lang):
    assert sign(client, email="jörg@example.org", organisation="Umlaut Org").status_code == 303
    with app.app_context():
        assert delivery.deliver_due().failed == 1
    signature = db.session.scalar(select(Signature))
    signature.status = SignatureStatus.VERIFIED  # as if confirmed another way: the queue shows it
    db.session.commit()
    log_in(client, make_admin())
    queue_page = client.get("/admin/", headers={"Accept-Language": lang}).get_data(as_text=True)
    assert translated_plural(app, lang, "%(num)s email could not be delivered in the last seven days.",
                             "%(num)s emails could not be delivered in the last seven days.", 1) in queue_page
    assert translated(app, lang, "An email to this signer could not be delivered") in queue_page
    mail_page = client.get("/admin/mail", headers={"Accept-Language": lang})
    html = mail_page.get_data(as_text=True)
    assert mail_page.status_code == 200 and "SMTPUTF8" in html and f"#{signature.id}" in html
    assert translated(app, lang, "Confirmation link") in html
    assert "jörg" not in html and "jörg" not in queue_page
    with app.app_context():
        privacy.purge(now=utcnow() + dt.timedelta(hours=1))
    after_purge = client.get("/admin/mail", headers={"Accept-Language": lang}).get_data(as_text=True)
    assert "SMTPUTF8" not in after_purge, "the reason is erased by the purge"
    assert f"#{signature.id}" in after_purge and translated(app, lang, "Erased by the daily purge.") in after_purge
    assert translated_plural(app, lang, "%(num)s email could not be delivered in the last seven days.",
                             "%(num)s emails could not be delivered in the last seven days.", 1) in \
        client.get("/admin/", headers={"Accept-Language": lang}).get_data(as_text=True)
