"""The outbox worker: each queued message claimed, sent and recorded on its own.

Guarantees, and how they hold:

- **Never lost.** A message leaves the queue only when the mail server has accepted it (250) or
  has refused it for good; a temporary failure is retried with growing delays for
  ``OUTBOX_GIVE_UP_HOURS``.
- **Never jammed.** Whatever one message raises (an address the server cannot take, a refusal,
  a dropped connection, an unforeseen error) is caught, classified and recorded for that message
  alone; the batch goes on.
- **Sent once, as near as SMTP allows.** Claiming a batch is one short transaction that moves
  each message's ``next_attempt_at`` a lease ahead (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
  workers never share a message); each message is then marked sent in its own transaction right
  after the server's 250, retried for ``OUTBOX_RECORD_RETRY_SECONDS`` while the database is away.
  A worker killed mid-batch leaves its unsent claims to come back when the lease ends. The one
  window left is between the server's 250 and our commit: a worker killed there (or a database
  away longer than the retry window) sends that one message again, so at most one duplicate per
  crash and worker.

  A whole batch is claimed at once, not each message in a transaction of its own: one statement
  and one commit per ``OUTBOX_BATCH_SIZE`` messages rather than per message. The price is paid
  only when a worker dies: the claimed-but-unsent messages of its batch (at most
  ``OUTBOX_BATCH_SIZE``) wait out the rest of ``OUTBOX_LEASE_SECONDS`` (120 s by default) before
  another worker takes them. Nothing is lost or sent twice by that wait, and two minutes are
  nothing beside the 72 hours a confirm link works; the lease cannot be much shorter anyway, since
  it must outlast one send and its record (``MAIL_TIMEOUT_SECONDS`` plus
  ``OUTBOX_RECORD_RETRY_SECONDS``, checked at start) or a slow but living worker's claim would
  return while it still sends, and go out twice. A worker that finds its lease running short hands
  the rest of its batch back at once (``release``).
- **No address kept.** A sent or abandoned message loses its recipient and bodies at once, and the
  error recorded for a retry is redacted like the logs (the purge erases it later).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
import secrets
import smtplib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from functools import cache
from urllib.parse import quote

from flask import current_app
from flask_mail import Connection
from sqlalchemy import Executable, bindparam, delete, select, update
from sqlalchemy.exc import DBAPIError

from .. import crypto
from ..extensions import db
from ..logs import redact
from ..models import EmailKind, OutboxMessage, OutboxStatus, utcnow

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600
ERROR_TEXT_LENGTH = 500


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed


@dataclass(frozen=True)
class ClaimedMessage:
    """What a worker needs of a claimed row; a plain copy, so the claim's transaction can end."""

    id: int
    recipient: str
    subject: str
    body_text: str
    body_html: str | None
    message_id: str
    attempts: int
    created_at: dt.datetime
    #: A bulk message's one-click unsubscribe URL: it gets the headers of mail nobody asked for
    #: this very minute (RFC 8058, RFC 3834, and the ``Precedence`` mailing lists use).
    list_unsubscribe: str | None = None


class PermanentFailure(Exception):
    """Retrying would not help: the server refused for good, or the address cannot be sent to."""


class ServerUnavailable(Exception):
    """No connection to the mail server: every message left in the batch waits for a retry."""


def retry_delay(attempts: int) -> dt.timedelta:
    """30 s after the first failure, doubling up to an hour."""
    return dt.timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_RETRY_SECONDS))


# --- the message on the wire -------------------------------------------------------------


#: Header values are folded by the email package: the classic policy (RFC 2047 encoded words for
#: a subject in other letters) for an ASCII address; ``policy.SMTPUTF8`` (UTF-8 headers, RFC 6532)
#: for an address with a non-ASCII local part.
WIRE_POLICY = policy.compat32.clone(linesep="\r\n")


def _crlf(text: str) -> str:
    """A text body in its canonical form (RFC 2046: CRLF line breaks), as it goes inside base64."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _base64_part(subtype: str, text: str) -> bytes:
    """One alternative, in base64: Flask-Mail makes the email package write UTF-8 bodies as 8bit,
    one line per paragraph, and SMTP refuses a line over 998 octets (an update's long paragraph,
    500 Arabic letters): every copy failed for good. Base64 lines are 76 characters whatever the text."""
    encoded = base64.encodebytes(_crlf(text).encode("utf-8")).replace(b"\n", b"\r\n")
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n").encode("ascii") + encoded


def sender_addresses() -> tuple[str, str]:
    """``MAIL_DEFAULT_SENDER`` as a From header (a display name encoded if need be) and as the
    envelope's bare address."""
    configured = current_app.config["MAIL_DEFAULT_SENDER"]
    name, address = configured if isinstance(configured, (list, tuple)) else parseaddr(configured)
    return formataddr((name, address), charset="utf-8"), address


def wire_message(message: ClaimedMessage, sender: str, date: float | None = None) -> bytes:
    """The message as the mail server receives it: multipart/alternative, plain text then HTML,
    from ``sender`` (a From header).

    Every message has this one shape, so it is written as such: the varying header values folded
    by the email package, each body in base64, a random boundary (``=_`` never occurs in base64).
    The email package's generic generator (a MIME tree, every fixed header folded through
    ``Header``, a regular expression compiled per message to choose its boundary) was more than half
    of the outbox worker's CPU per message (BENCHMARKS.md); a test reads this back with the email
    package and compares it with what Flask-Mail writes."""
    international = not message.recipient.isascii()
    fold = (policy.SMTPUTF8 if international else WIRE_POLICY).fold_binary
    subject: str | Header = message.subject if international or message.subject.isascii() else \
        Header(message.subject, "utf-8", header_name="Subject")
    boundary = f"=_{secrets.token_hex(16)}"
    headers = [
        fold("Subject", subject),  # type: ignore[arg-type]  # compat32 folds a Header too
        fold("From", sender),
        fold("To", message.recipient),
        f"Date: {formatdate(date if date is not None else time.time(), localtime=True)}\r\n".encode("ascii"),
        fold("Message-ID", message.message_id),  # its domain is the site's, which may be written in other letters
    ]
    if message.list_unsubscribe is not None:
        headers += [fold("List-Unsubscribe", f"<{message.list_unsubscribe}>"),
                    b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nPrecedence: bulk\r\n"
                    b"Auto-Submitted: auto-generated\r\n"]
    headers.append(f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
                   .encode("ascii"))
    parts = [_base64_part("plain", message.body_text)]
    if message.body_html is not None:
        parts.append(_base64_part("html", message.body_html))
    delimiter = f"--{boundary}\r\n".encode("ascii")
    return b"".join([*headers, *(delimiter + part for part in parts), f"--{boundary}--\r\n".encode("ascii")])


# --- connections -------------------------------------------------------------------------


class TimedConnection(Connection):
    """Flask-Mail's connection with a socket timeout: a mail server that stops answering must not
    hold a worker (and its claims) for ever."""

    def configure_host(self) -> smtplib.SMTP:
        timeout = current_app.config["MAIL_TIMEOUT_SECONDS"]
        settings = self.mail
        host_class = smtplib.SMTP_SSL if settings.use_ssl else smtplib.SMTP
        host = host_class(settings.server, settings.port, timeout=timeout)
        if settings.use_tls:
            host.starttls()
        if settings.username and settings.password:
            host.login(settings.username, settings.password)
        return host


class SmtpTransport:
    """One SMTP connection for a batch, opened on first use and again after it drops."""

    def __init__(self) -> None:
        self._connection: TimedConnection | None = None
        self._from_header, self._envelope_from = sender_addresses()

    def send(self, message: ClaimedMessage) -> None:
        if self._connection is None:
            connection = TimedConnection(current_app.extensions["mail"])
            try:
                connection.__enter__()
            except (smtplib.SMTPException, OSError) as error:
                raise ServerUnavailable(_error_text(error, message.recipient)) from error
            self._connection = connection
        if self._connection.host is None:  # Flask-Mail's MAIL_SUPPRESS_SEND: nothing leaves
            return
        options = ["SMTPUTF8"] if not message.recipient.isascii() else []
        try:
            self._connection.host.sendmail(self._envelope_from, [message.recipient],
                                           wire_message(message, self._from_header), options)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and connection.host is not None:
            try:
                connection.host.quit()
            except (smtplib.SMTPException, OSError):
                connection.host.close()


class ConsoleTransport:
    """Prints messages instead of sending them: the development default without a mail server."""

    def send(self, message: ClaimedMessage) -> None:
        sys.stdout.write(
            f"\n----- email (not sent: FLASK_MAIL_TRANSPORT=console) -----\nTo: {message.recipient}\n"
            f"Subject: {message.subject}\n\n{message.body_text}\n----- end of email -----\n"
        )
        sys.stdout.flush()

    def close(self) -> None:
        pass


def _transport() -> ConsoleTransport | SmtpTransport:
    return ConsoleTransport() if current_app.config["MAIL_TRANSPORT"] == "console" else SmtpTransport()


# --- what went wrong ---------------------------------------------------------------------


def _error_text(error: BaseException, recipient: str | None) -> str:
    """A short description of a failure that names nobody: SMTP replies often quote the address."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{code} {_decoded(reply)}" for code, reply in error.recipients.values())
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_decoded(error.smtp_error)}"
    else:
        text = str(error)
    return redact(f"{type(error).__name__}: {_without_address(text, recipient)}")[:ERROR_TEXT_LENGTH]


def _without_address(text: str, recipient: str | None) -> str:
    """``text`` with the recipient taken out in every form a server may quote it: whole or its
    local part alone, in any case, or percent-encoded. (The log redaction then takes any other
    address-shaped text.)"""
    if not recipient:
        return text
    local = recipient.rsplit("@", 1)[0]
    forms = {recipient, local, quote(recipient, safe=""), quote(local, safe="")}
    for form in sorted((form for form in forms if len(form) >= 3), key=len, reverse=True):
        text = re.sub(re.escape(form), "[email]", text, flags=re.IGNORECASE)
    return text


def _decoded(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def classify(error: BaseException) -> bool:
    """Whether a failure is permanent (never retried) rather than temporary."""
    if isinstance(error, PermanentFailure):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    # The server does not take international addresses (no SMTPUTF8), or the message cannot be
    # written for it at all: sending it again would fail the same way.
    return isinstance(error, (smtplib.SMTPNotSupportedError, UnicodeError, ValueError))


# --- claiming and recording --------------------------------------------------------------


def claim_due(now: dt.datetime, limit: int) -> list[ClaimedMessage]:
    """Take up to ``limit`` due messages for this worker, in one short transaction of one statement:
    transactional mail (priority 0) before bulk, so a signer confirming never waits behind an update.

    The claim moves each message's next attempt a lease ahead and counts the attempt, so a worker
    that dies returns its unsent claims to the queue when the lease ends, and a message that kills
    every worker that tries it is still given up in time."""
    lease = dt.timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")  # evaluated once: a subquery in IN may be rerun by the planner, each run locking more
    )
    table = OutboxMessage.__table__
    statement = (
        update(table)
        .where(table.c.id.in_(select(due.c.id)), table.c.status == OutboxStatus.PENDING)
        .values(next_attempt_at=now + lease, attempts=table.c.attempts + 1)
        .returning(table.c.id, table.c.recipient, table.c.subject, table.c.body_text, table.c.body_html,
                   table.c.message_id, table.c.attempts, table.c.created_at, table.c.list_unsubscribe,
                   table.c.priority, table.c.recipient_box)
    )
    rows = db.session.execute(statement).all()
    db.session.commit()
    key = current_app.config["EMAIL_HASH_KEY"]
    # Sent in the claim's order: a confirmation link claimed with bulk mail still goes first.
    return [ClaimedMessage(*row[:-2]) if row.recipient_box is None
            else ClaimedMessage(row.id, crypto.release_held(key, row.recipient_box) or "", *row[2:-2])
            for row in sorted(rows, key=lambda row: (row.priority, row.id))]


def _write(statement: Executable, parameters: dict[str, object] | None = None) -> None:
    """Commit one outcome, waiting for the database to come back for ``OUTBOX_RECORD_RETRY_SECONDS``:
    a message the server has accepted must be marked sent, or it would go out again."""
    deadline = time.monotonic() + current_app.config["OUTBOX_RECORD_RETRY_SECONDS"]
    pause = 0.1
    while True:
        try:
            db.session.execute(statement, parameters)
            db.session.commit()
            return
        except DBAPIError:
            db.session.rollback()
            if time.monotonic() + pause > deadline:
                raise
            logger.warning("outbox: database unavailable while recording a delivery; retrying")
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


_ERASED = {"recipient": None, "recipient_box": None, "body_text": None, "body_html": None, "list_unsubscribe": None}


def record_sent(message: ClaimedMessage) -> None:
    _write(_mark_sent(), {"message": message.id, "sent_at": utcnow()})


@cache
def _mark_sent() -> Executable:
    """One statement per message sent, built once per process on the table (not the ORM entity):
    building it and the ORM's bulk-update path cost more than the update itself (BENCHMARKS.md)."""
    table = OutboxMessage.__table__
    return (update(table).where(table.c.id == bindparam("message"), table.c.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENT, sent_at=bindparam("sent_at"), last_error=None, **_ERASED))


def record_failure(messages: list[ClaimedMessage], error: BaseException, now: dt.datetime,
                   report: DeliveryReport) -> None:
    """Retry later, or give up (permanent failure, or past ``OUTBOX_GIVE_UP_HOURS``)."""
    permanent = classify(error)
    give_up_after = dt.timedelta(hours=current_app.config["OUTBOX_GIVE_UP_HOURS"])
    for message in messages:
        text = _error_text(error, message.recipient)
        if permanent or now >= message.created_at + give_up_after:
            values: dict[str, object] = {"status": OutboxStatus.FAILED, "last_error": text, **_ERASED}
            report.failed += 1
            logger.warning("outbox message %s given up: %s", message.id, text)
            if permanent:
                _give_up_its_reminder(message.id)
        else:
            values = {"next_attempt_at": now + retry_delay(message.attempts), "last_error": text}
            report.retried += 1
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message.id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(**values).execution_options(synchronize_session=False)
        )
    db.session.commit()  # if the database is away, these claims come back when their lease ends


def _give_up_its_reminder(message_id: int) -> None:
    """A confirmation email the address cannot take (unknown mailbox, no SMTPUTF8 for its letters)
    takes its signature's reminder, due later to the same address, with it: it would only fail
    again a day on, keeping the address meanwhile. Taken back, as when the signer confirms, not
    counted as a second failure."""
    signature = select(OutboxMessage.signature_id).where(
        OutboxMessage.id == message_id, OutboxMessage.kind == EmailKind.VERIFICATION.value).scalar_subquery()
    db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.signature_id == signature, OutboxMessage.kind == EmailKind.REMINDER.value,
               OutboxMessage.status == OutboxStatus.PENDING)
        .execution_options(synchronize_session=False)
    )


def release(messages: list[ClaimedMessage], now: dt.datetime) -> None:
    """Hand unsent claims back to the queue at once (the lease is nearly over)."""
    if messages:
        _write(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([message.id for message in messages]),
                   OutboxMessage.status == OutboxStatus.PENDING)
            .values(next_attempt_at=now, attempts=OutboxMessage.attempts - 1)
            .execution_options(synchronize_session=False)
        )


# --- the worker ----------------------------------------------------------------------------


def deliver_batch(now: dt.datetime | None = None) -> tuple[DeliveryReport, int]:
    """Claim one batch of due messages and send each on its own; returns the report and how many
    were claimed."""
    now = now or utcnow()
    config = current_app.config
    report = DeliveryReport()
    claimed = claim_due(now, config["OUTBOX_BATCH_SIZE"])
    if not claimed:
        return report, 0
    # Stop taking messages from this batch while the lease can still cover one send and its record.
    stop_at = time.monotonic() + config["OUTBOX_LEASE_SECONDS"] - config["MAIL_TIMEOUT_SECONDS"] \
        - config["OUTBOX_RECORD_RETRY_SECONDS"]
    transport = _transport()
    try:
        for position, message in enumerate(claimed):
            if position and time.monotonic() > stop_at:
                release(claimed[position:], now)
                break
            try:
                if not message.recipient:
                    raise PermanentFailure("the held address cannot be read (FLASK_EMAIL_HASH_KEY changed)")
                transport.send(message)
            except ServerUnavailable as error:
                record_failure(claimed[position:], error, now, report)
                logger.warning("mail server unavailable: %s", error)
                break
            except Exception as error:  # noqa: BLE001  (one message's failure is that message's alone)
                record_failure([message], error, now, report)
            else:
                record_sent(message)
                report.sent += 1
    finally:
        transport.close()
    return report, len(claimed)


def deliver_due(now: dt.datetime | None = None) -> DeliveryReport:
    """Send everything due now, batch after batch, until nothing due is left."""
    total = DeliveryReport()
    while True:
        report, claimed = deliver_batch(now)
        total.add(report)
        if claimed == 0:
            return total


def run_worker(poll_seconds: float, should_stop: Callable[[], bool] = lambda: False,
               between_batches: Callable[[], None] = lambda: None) -> None:
    """The long-running worker: deliver what is due, do ``between_batches`` (work that must not
    hold up the mail, such as starting a delivery pack), then sleep a little."""
    while not should_stop():
        try:
            report = deliver_due()
            between_batches()
        except Exception:  # the worker must outlive a database restart
            db.session.rollback()
            logger.exception("outbox worker error; retrying")
            report = DeliveryReport()
        if report.sent == 0:
            time.sleep(poll_seconds)
