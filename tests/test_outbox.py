"""Mail never blocks a request, survives a mail server outage, and goes out exactly once."""

from __future__ import annotations

import datetime as dt
import threading
from email import message_from_bytes, policy

import pytest
from flask_mail import Message
from sqlalchemy import func, select

from campaign.mail import delivery, outbox, rendering
from campaign.models import EmailKind, OutboxMessage, OutboxStatus, utcnow

from .factories import links_in, sign
from .smtp_sink import SmtpSink


def queue_messages(app, count: int) -> None:
    with app.test_request_context():
        for number in range(count):
            outbox.enqueue(
                EmailKind.VERIFICATION, f"reader{number}@example.org", "en",
                letter_title="A letter", signer_name=f"Reader {number}", manage_url="https://campaign.example/en/manage/x",
                confirm_hours=72, confirm_url="https://campaign.example/en/sign/confirm/x",
                withdraw_url="https://campaign.example/en/sign/withdraw/x",
                not_me_url="https://campaign.example/en/sign/not-me/x",
            )
        outbox.db.session.commit()


TRICKY_STRINGS = [
    "Amal <b>&amp;</b> \"Ali\" 'O'Neil'", "منظمة العفو الدولية", "%(name)s {{ title }} {% raw %}", "João · Zoë",
]


@pytest.mark.parametrize("lang", ["en", "es", "ar"])
@pytest.mark.parametrize("kind", [EmailKind.VERIFICATION, EmailKind.ALREADY_SIGNED])
def test_emails_filled_in_per_signer_equal_a_full_rendering(app, lang, kind):
    with app.test_request_context():
        for number, tricky in enumerate(TRICKY_STRINGS):
            context = {
                "letter_title": tricky[::-1], "signer_name": tricky, "confirm_hours": 72 if number % 2 else 1,
                "confirm_url": f"https://campaign.example/{lang}/sign/confirm/t{number}?a=1&b=<2>",
                "withdraw_url": "https://campaign.example/w", "not_me_url": "https://campaign.example/n",
                "manage_url": "https://campaign.example/m",
            }
            filled = rendering.render(kind, lang, **context)
            assert filled == rendering._render_now(kind, lang, context)
            assert "\x00" not in filled[1] + filled[2]
        assert len(app.extensions["email_skeletons"]) == 2  # one per template, language and plural choice


@pytest.mark.parametrize("subject", [
    "Confirm your signature", "تأكيد توقيعك على الرسالة المفتوحة من أجل حظر عالمي لتقنيات التعرف البيومتري " * 2 + "(2026)",
    "Confirme sua assinatura: João · Zoë \"quoted\" <angle>",
])
@pytest.mark.parametrize("recipient", ["reader@example.org", "jörg@xn--strae-oqa.de"])
def test_messages_on_the_wire_read_back_as_flask_mail_writes_them(app, subject, recipient):
    with app.test_request_context():
        text = "سطر أول\n.a line that starts with a dot\n" + "long line " * 200 + "\nend"
        html = "<p dir=\"rtl\">سطر</p>\n" * 40
        claimed = delivery.ClaimedMessage(1, recipient, subject, text, html, "<fixed@campaign.example>", 1, utcnow())
        from_header, _ = delivery.sender_addresses()
        wire = delivery.wire_message(claimed, from_header, date=1767225600.0)
        assert all(line.endswith(b"\r") for line in wire.split(b"\n")[:-1])
        theirs = Message(subject=subject, recipients=["reader@example.org"], body=text, html=html,
                         sender=app.config["MAIL_DEFAULT_SENDER"], date=1767225600.0, charset="utf-8")
        theirs.msgId = "<fixed@campaign.example>"
        read, expected = (message_from_bytes(raw, policy=policy.default) for raw in (wire, theirs.as_bytes()))
        for header in ("From", "Date", "Message-ID"):
            assert read[header] == expected[header]
        assert read["To"] == recipient
        assert read["Subject"] == subject
        for kind in ("plain", "html"):
            assert read.get_body(preferencelist=(kind,)).get_content() == expected.get_body(
                preferencelist=(kind,)).get_content()
        assert read.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n").rstrip("\n") == text
        headers = wire.split(b"\r\n\r\n", 1)[0]
        assert headers.isascii() == recipient.isascii(), "UTF-8 headers only where the address needs them"


def test_a_site_whose_name_is_in_other_letters_still_gets_its_mail_on_the_wire(app):
    """The Message-ID and the unsubscribe link carry the site's host name, which may be an
    internationalised one: written as the email package writes such headers, never refused."""
    with app.test_request_context():
        claimed = delivery.ClaimedMessage(1, "reader@example.org", "News", "text", None,
                                          "<1.2@straße.example>", 1, utcnow(),
                                          list_unsubscribe="https://straße.example/en/updates/stop/x")
        from_header, _ = delivery.sender_addresses()
        read = message_from_bytes(delivery.wire_message(claimed, from_header), policy=policy.default)
    assert "straße.example" in str(read["Message-ID"]) and "straße.example" in str(read["List-Unsubscribe"])
    assert read["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert read.get_body(preferencelist=("plain",)).get_content().strip() == "text"


def messages(db) -> list[OutboxMessage]:
    """The queued mail but the reminders (due a day later; see test_signers)."""
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind != "reminder")
                                   .order_by(OutboxMessage.id)))


def test_smtp_down_while_signing_then_the_mail_goes_out_when_it_returns(app, client, db, smtp):
    smtp.stop()
    response = sign(client)
    assert response.status_code == 303, "the signer is answered without waiting for mail"

    with app.app_context():
        report = delivery.deliver_due()
    assert report.sent == 0 and report.retried == 1
    [queued] = messages(db)
    assert queued.status is OutboxStatus.PENDING and queued.attempts == 1
    assert queued.next_attempt_at - utcnow() <= dt.timedelta(seconds=60), "first retry within a minute"
    assert queued.recipient is not None

    smtp.start()
    with app.app_context():
        assert delivery.deliver_due().sent == 0, "not due yet"
        assert delivery.deliver_due(now=utcnow() + dt.timedelta(minutes=1)).sent == 1
    [received] = smtp.wait_for(1)
    assert "confirm" in links_in(received.text)
    [sent] = messages(db)
    assert sent.status is OutboxStatus.SENT and sent.sent_at is not None


def test_sent_messages_keep_no_address_or_body(app, db, smtp):
    queue_messages(app, 2)
    with app.app_context():
        assert delivery.deliver_due().sent == 2
    for message in messages(db):
        assert message.recipient is None and message.body_text is None and message.body_html is None
        assert message.status is OutboxStatus.SENT


def test_retries_back_off_and_keep_trying_for_more_than_a_day(app, db):
    queue_messages(app, 1)
    created = messages(db)[0].created_at
    delays = [delivery.retry_delay(attempt) for attempt in range(1, 12)]
    assert delays[0] <= dt.timedelta(minutes=1)
    assert delays == sorted(delays) and delays[-1] == dt.timedelta(hours=1)

    with app.app_context():
        delivery.deliver_due(now=created + dt.timedelta(hours=25))
    [message] = messages(db)
    assert message.status is OutboxStatus.PENDING, "still retrying after a day"

    with app.app_context():
        report = delivery.deliver_due(now=created + dt.timedelta(hours=app.config["OUTBOX_GIVE_UP_HOURS"], seconds=1))
    assert report.failed == 1
    [message] = messages(db)
    assert message.status is OutboxStatus.FAILED and message.recipient is None


def test_permanent_refusals_are_not_retried(app, db, smtp):
    smtp.refuse_with = "550 5.1.1 No such user"
    queue_messages(app, 1)
    with app.app_context():
        report = delivery.deliver_due()
    assert report.failed == 1 and report.retried == 0
    [message] = messages(db)
    assert message.status is OutboxStatus.FAILED and message.attempts == 1 and message.recipient is None


def test_temporary_refusals_are_retried(app, db, smtp):
    smtp.refuse_with = "451 4.3.0 Try again later"
    queue_messages(app, 1)
    with app.app_context():
        report = delivery.deliver_due()
    assert report.retried == 1
    assert messages(db)[0].status is OutboxStatus.PENDING


def test_console_transport_prints_instead_of_sending(app, db, capsys):
    app.config["MAIL_TRANSPORT"] = "console"
    queue_messages(app, 1)
    with app.app_context():
        assert delivery.deliver_due().sent == 1
    printed = capsys.readouterr().out
    assert "To: reader0@example.org" in printed and "https://campaign.example/en/sign/confirm/x" in printed


def test_cli_drains_once(app, db, smtp):
    queue_messages(app, 3)
    result = app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0 and "sent 3" in result.output
    assert len(smtp.wait_for(3)) == 3


def test_two_workers_send_every_message_exactly_once(app, db, smtp, backend):
    if backend != "postgresql":
        pytest.skip("concurrent workers rely on PostgreSQL's FOR UPDATE SKIP LOCKED")
    app.config["OUTBOX_BATCH_SIZE"] = 10
    queue_messages(app, 120)
    barrier = threading.Barrier(2)
    reports = []

    def worker():
        with app.app_context():
            barrier.wait()
            reports.append(delivery.deliver_due())
            outbox.db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    received = smtp.wait_for(120)
    ids = [message.message["Message-ID"] for message in received]
    assert len(ids) == 120 and len(set(ids)) == 120
    assert sum(report.sent for report in reports) == 120
    assert all(report.sent > 0 for report in reports), f"both workers took part: {reports}"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.SENT)) == 120


def test_a_worker_survives_the_mail_server_restarting_mid_batch(app, db):
    sink = SmtpSink(port=app.config["MAIL_PORT"])
    queue_messages(app, 2)
    with app.app_context():
        first = delivery.deliver_due()
    assert first.retried == 2
    sink.start()
    try:
        with app.app_context():
            assert delivery.deliver_due(now=utcnow() + dt.timedelta(minutes=2)).sent == 2
    finally:
        sink.stop()


def test_a_paragraph_longer_than_an_smtp_line_reaches_the_reader_whole(app, db, smtp):
    """SMTP refuses lines over 998 octets (the sink, as real servers, answers 500): a body is sent in
    base64, so a long paragraph (a campaign update's, 600 Arabic letters) is delivered as written."""
    paragraph = "نطالب بحظر تقنيات التعرف البيومتري " * 40
    with app.test_request_context():
        outbox.queue_rows([{"kind": "verification", "recipient": "reader@example.org", "subject": "A long one",
                            "body_text": paragraph, "body_html": f"<p>{paragraph}</p>",
                            "message_id": "<long-line@campaign.example>"}])
        db.session.commit()
        assert delivery.deliver_due().sent == 1
    received = smtp.wait_for(1)[0]
    assert received.text.strip() == paragraph.strip() and paragraph.strip() in received.html


def test_every_kind_of_email_the_outbox_stores_is_one_email_kind_with_a_label():
    """One spelling of each kind (``EmailKind``): the templated kinds, the updates' kinds and the
    update's test are all members, and the page of undelivered mail has a label for each, found by
    the string the outbox stores."""
    from campaign.models import UpdateKind
    from campaign.views.labels import MAIL_KIND_LABELS

    assert set(MAIL_KIND_LABELS) == set(EmailKind)
    assert all(MAIL_KIND_LABELS[kind.value] is MAIL_KIND_LABELS[kind] for kind in EmailKind), "found by stored string"
    assert {kind.email_kind.value for kind in UpdateKind} == {kind.value for kind in UpdateKind}
    senders = set(rendering.SUBJECTS) | {kind.email_kind for kind in UpdateKind} | {EmailKind.UPDATE_TEST}
    assert senders == set(EmailKind), "every kind is sent by something, and nothing sends another"
