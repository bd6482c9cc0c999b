"""Translated names for the values the admin pages show (statuses, kinds, flags, audit actions)."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from ...moderation import flags

STATUS_LABELS = {
    "pending": _l("Not confirmed"),
    "verified": _l("Awaiting review"),
    "published": _l("Published"),
    "rejected": _l("Rejected"),
    "hidden": _l("Hidden"),
}
KIND_LABELS = {"organisation": _l("Organisation"), "individual": _l("Individual")}
ROLE_LABELS = {"moderator": _l("Moderator"), "admin": _l("Administrator")}
FLAG_LABELS = {
    flags.ALREADY_PUBLISHED: _l("An organisation with this name is already published"),
    flags.WEBSITE_DOMAIN_DIFFERS: _l("The website's domain differs from the email's domain"),
    flags.DISPOSABLE_EMAIL: _l("Disposable email address"),
    flags.BUSY_NETWORK: _l("Many signatures from the same network"),
    flags.BUSY_DOMAIN: _l("Many signatures from this email domain"),
    flags.MIXED_SCRIPTS: _l("Name mixes writing systems (possible look-alike letters)"),
    flags.UNDELIVERED_EMAIL: _l("An email to this signer could not be delivered"),
}
#: What each kind of queued email is, for the page of undelivered mail.
MAIL_KIND_LABELS = {
    "verification": _l("Confirmation link"),
    "already-signed": _l("Already signed"),
    "digest": _l("Review digest"),
}


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        status_labels=STATUS_LABELS, kind_labels=KIND_LABELS, role_labels=ROLE_LABELS, flag_labels=FLAG_LABELS,
        mail_kind_labels=MAIL_KIND_LABELS,
    )
