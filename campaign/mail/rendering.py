"""Emails in the signer's language: one kind, one template pair, one translated subject each.

Rendering two translated templates costs more than the rest of a sign request, and emails of one
kind differ only in a few strings (a name, a title, links). So each process renders a kind once per
language with a slot for each string, and fills the slots per message (``web.skeletons``). In debug
mode nothing is kept, as in ``web.caches``.
"""

from __future__ import annotations

from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l

from ..models import EmailKind, utcnow
from ..web import i18n, skeletons

_MAX_SKELETONS = 256

#: The kinds rendered from templates (``templates/email/<kind>.txt`` and ``.html``), each with its
#: translated subject. (Campaign updates, the other kinds, are written by admins: ``mail.updates``.)
SUBJECTS: dict[EmailKind, LazyString] = {
    EmailKind.VERIFICATION: _l("Confirm your signature"),
    EmailKind.REMINDER: _l("Reminder: your signature is not confirmed yet"),
    EmailKind.ALREADY_SIGNED: _l("You have already signed"),
    EmailKind.PUBLISHED: _l("You are on the list of signatories"),
    EmailKind.REJECTED: _l("Your signature was not published"),
    EmailKind.DIGEST: _l("Signatures await review"),
}
#: Subjects for a signer who chose to be counted without being named (``named=False``): "you are on
#: the list" would alarm someone who asked not to be.
SUBJECTS_UNNAMED: dict[EmailKind, LazyString] = {
    EmailKind.PUBLISHED: _l("Your signature is counted"),
}


def _template(kind: EmailKind) -> str:
    return kind.value.replace("-", "_")


def _render_now(kind: EmailKind, language: str, context: dict[str, object]) -> tuple[str, str, str]:
    """Emails are rendered from their own variables only: the page context (language switch,
    canonical links) that ``render_template`` would compute for the current request is not theirs."""
    described = i18n.describe(language)
    environment = current_app.jinja_env
    with force_locale(described.babel_locale):
        unnamed = context.get("named") is False and kind in SUBJECTS_UNNAMED
        subject = str(SUBJECTS_UNNAMED[kind] if unnamed else SUBJECTS[kind])
        variables = {"email_language": described, "subject": subject, **context}
        return (
            subject,
            environment.get_template(f"email/{_template(kind)}.txt").render(variables),
            environment.get_template(f"email/{_template(kind)}.html").render(variables),
        )


def render(kind: EmailKind, language: str, **context: object) -> tuple[str, str, str]:
    """The subject, text and HTML of an email of ``kind`` in ``language``. Strings in ``context`` are
    filled into slots; other values (numbers choose plural forms) are part of the skeleton's key."""
    if any(isinstance(value, (list, tuple, dict)) for value in context.values()):
        return _render_now(kind, language, context)  # a list of entries: rare emails, rendered whole
    strings = {name: value for name, value in context.items() if isinstance(value, str)}
    fixed = tuple(sorted((name, value) for name, value in context.items() if not isinstance(value, str)))
    key = (kind, language, tuple(sorted(strings)), fixed)
    cached = current_app.extensions.setdefault("email_skeletons", {})
    skeleton = cached.get(key)
    if skeleton is None:
        skeleton = _render_now(kind, language, {**context, **{name: skeletons.slot(name) for name in strings}})
        if not current_app.debug:  # under `make run` an edited email template shows in the next message
            if len(cached) >= _MAX_SKELETONS:
                cached.clear()
            cached[key] = skeleton
    subject, text, html = skeleton
    return subject, skeletons.fill(text, strings, html=False), skeletons.fill(html, strings, html=True)


def message_row(kind: EmailKind, recipient: str, language: str, **context: object) -> dict[str, object]:
    """A message rendered in ``language``, as the row that queues it (without its signature), due now."""
    subject, body_text, body_html = render(kind, language, **context)
    return {
        "kind": kind.value,
        "next_attempt_at": utcnow(),
        "recipient": recipient,
        "recipient_box": None,
        "subject": subject,
        "body_text": body_text,
        "body_html": body_html,
        "message_id": make_msgid(domain=urlsplit(current_app.config["SITE_URL"]).hostname),
    }
