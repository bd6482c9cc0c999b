"""Queued email: written in the caller's transaction, delivered by a worker, erased once sent.

A request never talks to the mail server. ``enqueue`` adds a row beside the change that caused the
message; ``deliver_due`` (the ``flask outbox run`` worker) sends what is due, retries temporary
failures with growing delays for ``OUTBOX_GIVE_UP_HOURS``, and gives up at once on permanent
(5xx) refusals. On PostgreSQL, rows are claimed with ``FOR UPDATE SKIP LOCKED`` so any number of
workers can run side by side without sending a message twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
import socket
import sys
import time
from dataclasses import dataclass
from email import policy
from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, gettext
from flask_mail import Message
from markupsafe import escape
from sqlalchemy import delete, insert, select

from . import i18n
from .extensions import db, mail
from .models import OutboxMessage, OutboxStatus, utcnow

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): retrying would not help."""


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed


_SLOT = re.compile("\x00([a-z_]+)\x00")
_MAX_SKELETONS = 256


def _render_now(template: str, language: str, subject: str, context: dict) -> tuple[str, str, str]:
    """Emails are rendered from their own variables only: the page context (language switch,
    canonical links) that ``render_template`` would compute for the current request is not theirs."""
    described = i18n.describe(language)
    environment = current_app.jinja_env
    with force_locale(described.babel_locale):
        rendered_subject = gettext(subject)
        variables = {"email_language": described, "subject": rendered_subject, **context}
        return (
            rendered_subject,
            environment.get_template(f"email/{template}.txt").render(variables),
            environment.get_template(f"email/{template}.html").render(variables),
        )


def render(template: str, language: str, subject: str, **context) -> tuple[str, str, str]:
    """The subject, text and HTML of an email in ``language``.

    Emails of one kind differ only in a few strings (a name, a title, links), and rendering two
    translated templates costs more than the rest of a sign request. So each process renders a
    template once per language with a marker in place of each string, then fills the markers in:
    as they are for the text, escaped for the HTML, exactly as Jinja would. Other values (numbers
    choose plural forms) are part of the key."""
    strings = {name: value for name, value in context.items() if isinstance(value, str)}
    fixed = tuple(sorted((name, value) for name, value in context.items() if not isinstance(value, str)))
    key = (template, language, subject, tuple(sorted(strings)), fixed)
    skeletons = current_app.extensions.setdefault("email_skeletons", {})
    skeleton = skeletons.get(key)
    if skeleton is None:
        markers = {name: f"\x00{name}\x00" for name in strings}
        skeleton = _render_now(template, language, subject, {**context, **markers})
        if len(skeletons) >= _MAX_SKELETONS:
            skeletons.clear()
        skeletons[key] = skeleton
    subject_text, text, html = skeleton
    return (
        subject_text,
        _SLOT.sub(lambda slot: strings[slot.group(1)], text),
        _SLOT.sub(lambda slot: str(escape(strings[slot.group(1)])), html),
    )


def message_row(kind: str, recipient: str, language: str, template: str, subject: str, **context) -> dict:
    """A message rendered in ``language``, as the row that queues it (without its signature)."""
    rendered_subject, body_text, body_html = render(template, language, subject, **context)
    return {
        "kind": kind,
        "status": OutboxStatus.PENDING,
        "recipient": recipient,
        "subject": rendered_subject,
        "body_text": body_text,
        "body_html": body_html,
        "message_id": make_msgid(domain=urlsplit(current_app.config["SITE_URL"]).hostname),
        "attempts": 0,
        "next_attempt_at": utcnow(),
    }


def queue_row(row: dict, signature_id: int | None = None) -> None:
    """Write a row from ``message_row`` in the caller's transaction; the caller commits."""
    db.session.execute(insert(OutboxMessage.__table__), {**row, "signature_id": signature_id})


def enqueue(kind: str, recipient: str, language: str, template: str, subject: str, signature_id: int | None = None,
            **context) -> None:
    """Render a message in ``language`` and write it in the caller's transaction; the caller commits."""
    queue_row(message_row(kind, recipient, language, template, subject, **context), signature_id)


def discard_unsent_for(signature_id: int) -> None:
    """Drop queued mail to a signer who withdrew: it holds their address and dead links."""
    db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.signature_id == signature_id, OutboxMessage.status == OutboxStatus.PENDING
        )
    )


def retry_delay(attempts: int) -> dt.timedelta:
    """30 s after the first failure, doubling up to an hour."""
    return dt.timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_RETRY_SECONDS))


def _erase(message: OutboxMessage) -> None:
    message.recipient = None
    message.body_text = None
    message.body_html = None


class OutboxMail(Message):
    """A Flask-Mail message written out by the email package's classic generator.

    Flask-Mail writes its MIME tree with ``policy.SMTP``, whose generator parses every header it
    has just set back into a structured object (several times per part) before folding it again:
    half of a worker's time per message. The classic (``compat32``) generator writes the same tree
    at half the cost, with the CRLF line ends SMTP needs. It folds a header it is given already
    encoded from an empty first line, which readers show as a leading space, so the subject is
    handed to it as text and encoded there, with room left for its name."""

    WIRE_POLICY = policy.compat32.clone(linesep="\r\n")

    def as_bytes(self) -> bytes:
        tree = self._message()
        if self.subject:
            tree.replace_header("Subject", self.subject)
        return tree.as_bytes(policy=self.WIRE_POLICY)


def _as_mail(message: OutboxMessage) -> Message:
    mail_message = OutboxMail(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        date=time.time(),
        charset="utf-8",
    )
    mail_message.msgId = message.message_id
    return mail_message


def _classify(error: Exception) -> Exception:
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            return PermanentFailure(str(codes))
    elif isinstance(code, int) and code >= 500:
        return PermanentFailure(f"{code}")
    return error


class _ConsoleConnection:
    """Prints messages instead of sending them: the development default without a mail server."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send(self, message: Message) -> None:
        sys.stdout.write(
            f"\n----- email (not sent: FLASK_MAIL_TRANSPORT=console) -----\nTo: {message.recipients[0]}\n"
            f"Subject: {message.subject}\n\n{message.body}\n----- end of email -----\n"
        )
        sys.stdout.flush()


def _connect():
    if current_app.config["MAIL_TRANSPORT"] == "console":
        return _ConsoleConnection()
    return mail.connect()


def _claim_due(now: dt.datetime, limit: int) -> list[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(db.session.scalars(query))


def _record_failure(message: OutboxMessage, error: Exception, now: dt.datetime, report: DeliveryReport) -> None:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    give_up_at = message.created_at + dt.timedelta(hours=current_app.config["OUTBOX_GIVE_UP_HOURS"])
    if isinstance(error, PermanentFailure) or now >= give_up_at:
        message.status = OutboxStatus.FAILED
        _erase(message)
        report.failed += 1
        logger.warning("outbox message %s given up: %s", message.id, type(error).__name__)
    else:
        message.next_attempt_at = now + retry_delay(message.attempts)
        report.retried += 1


def deliver_batch(now: dt.datetime | None = None) -> tuple[DeliveryReport, int]:
    """Send one batch of due messages in one transaction; returns the report and how many were claimed."""
    now = now or utcnow()
    report = DeliveryReport()
    messages = _claim_due(now, current_app.config["OUTBOX_BATCH_SIZE"])
    if not messages:
        db.session.commit()
        return report, 0
    try:
        with _connect() as connection:
            for message in messages:
                try:
                    connection.send(_as_mail(message))
                except (smtplib.SMTPException, OSError) as error:
                    if isinstance(error, smtplib.SMTPServerDisconnected):
                        raise
                    _record_failure(message, _classify(error), now, report)
                else:
                    message.status = OutboxStatus.SENT
                    message.sent_at = utcnow()
                    _erase(message)
                    report.sent += 1
    except (smtplib.SMTPException, OSError, socket.timeout) as error:
        for message in messages:
            if message.status == OutboxStatus.PENDING and message.next_attempt_at <= now:
                _record_failure(message, _classify(error), now, report)
        logger.warning("mail server unavailable: %s", type(error).__name__)
    db.session.commit()
    return report, len(messages)


def deliver_due(now: dt.datetime | None = None) -> DeliveryReport:
    """Send everything due now, batch after batch, until nothing due is left."""
    total = DeliveryReport()
    while True:
        report, claimed = deliver_batch(now)
        total.add(report)
        if claimed == 0 or report.sent == 0:
            return total


def run_worker(poll_seconds: float, should_stop=lambda: False) -> None:
    """The long-running worker: deliver what is due, then sleep a little."""
    while not should_stop():
        try:
            report = deliver_due()
        except Exception:  # the worker must outlive a database restart
            db.session.rollback()
            logger.exception("outbox worker error; retrying")
            report = DeliveryReport()
        if report.sent == 0:
            time.sleep(poll_seconds)
