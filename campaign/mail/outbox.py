"""Queued email: rendered in the signer's language and written in the caller's transaction.

A request never talks to the mail server. ``enqueue`` adds a row beside the change that caused the
message; the worker in ``delivery`` sends it, and erases its address and bodies once sent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import delete, func, insert, select

from ..web import i18n
from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, utcnow

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


# --- what moderators see of the mail ----------------------------------------------------------

FAILURES_SHOWN_DAYS = 7  # the pages say "the last seven days"


@dataclass(frozen=True)
class MailHealth:
    waiting: int
    oldest_waiting: dt.datetime | None
    failed_recently: int


def health(now: dt.datetime | None = None) -> MailHealth:
    """The queue's backlog and the messages given up in the last ``FAILURES_SHOWN_DAYS``."""
    since = (now or utcnow()) - dt.timedelta(days=FAILURES_SHOWN_DAYS)
    waiting, oldest = db.session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.status == OutboxStatus.PENDING)
    ).one()
    failed = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.created_at >= since))
    return MailHealth(waiting, oldest, failed)


def recent_failures(limit: int = 200, now: dt.datetime | None = None) -> list[OutboxMessage]:
    """Messages given up in the last ``FAILURES_SHOWN_DAYS``, newest first: no address or body is
    left in them, only the kind, the signature and the redacted reason."""
    since = (now or utcnow()) - dt.timedelta(days=FAILURES_SHOWN_DAYS)
    return list(db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.created_at >= since)
        .order_by(OutboxMessage.id.desc()).limit(limit)
    ))


def signatures_with_undelivered_mail(signature_ids: list[int]) -> set[int]:
    if not signature_ids:
        return set()
    return set(db.session.scalars(select(OutboxMessage.signature_id).where(
        OutboxMessage.signature_id.in_(signature_ids), OutboxMessage.status == OutboxStatus.FAILED)))
