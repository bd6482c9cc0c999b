"""Translated names for what pages show of a signature: its statuses, kinds, warnings, the kinds
of email, and every column a signer sees of their own data."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from flask import Flask
from flask_babel import LazyString, format_number, get_translations, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import letters
from ..lifecycle import timeline
from ..models import EmailKind, Letter, Signature
from ..moderation import flags
from ..publication import partners
from ..signing.fields import FIELD_NAMES, RECORD_COLUMNS, SIGNER_FIELDS
from ..web import dates, i18n

STATUS_LABELS = {
    "pending": _l("Not confirmed"),
    "verified": _l("Awaiting review"),
    # TRANSLATORS: the state of a signature (agrees with "signature" where your language needs it);
    # also a column of figures on the operator's dashboard.
    "published": _l("Published"),
    "rejected": _l("Rejected"),
    "hidden": _l("Hidden"),
}
KIND_LABELS = {
    "organisation": _l("Organisation"),
    # TRANSLATORS: the kind of a signature: a person signing in their own name, beside "Organisation".
    # A noun for a person (es "Persona"), not a bare adjective.
    "individual": _l("Individual"),
}
ROLE_LABELS = {
    # TRANSLATORS: a person's role in the admin area (who reviews signatures), not the name of a section.
    "moderator": _l("Moderator"),
    # TRANSLATORS: a person's role in the admin area (who also manages accounts), not a section.
    "admin": _l("Administrator"),
}
#: What a one-time account link is for (``moderation.enrolment.LinkPurpose``).
LINK_PURPOSE_LABELS = {
    "account": _l("Set a password and enrol the second factor"),
    "password": _l("Set a new password"),
    "second_factor": _l("Enrol a new second factor"),
}
SETUP_PROBLEM_LABELS = {
    "password": _l("Wrong current password"),
    "code": _l("Wrong code"),
    "locked": _l("Too many failures"),
}
FLAG_LABELS = {
    flags.ALREADY_PUBLISHED: _l("An organisation with this name is already published"),
    flags.WEBSITE_DOMAIN_DIFFERS: _l("The website's domain differs from the email's domain"),
    flags.DISPOSABLE_EMAIL: _l("Disposable email address"),
    flags.BUSY_NETWORK: _l("Many signatures from the same network"),
    flags.BUSY_DOMAIN: _l("Many signatures from this email domain"),
    flags.MIXED_SCRIPTS: _l("Name mixes writing systems (possible look-alike letters)"),
    flags.UNDELIVERED_EMAIL: _l("An email to this signer could not be delivered"),
}
#: What each kind of queued email is, for the page of undelivered mail (one for every ``EmailKind``: a
#: test checks). The keys are the enum's members, equal to the stored strings they are looked up by.
MAIL_KIND_LABELS: dict[EmailKind, LazyString] = {
    EmailKind.VERIFICATION: _l("Confirmation link"),
    EmailKind.ALREADY_SIGNED: _l("Already signed"),
    EmailKind.REMINDER: _l("Reminder to confirm"),
    EmailKind.PUBLISHED: _l("On the list"),
    EmailKind.REJECTED: _l("Not published"),
    EmailKind.DIGEST: _l("Review digest"),
    EmailKind.NEWS: _l("Campaign update"),
    EmailKind.CHANGE_NOTICE: _l("Notice of a changed text"),
    EmailKind.UPDATE_TEST: _l("Test of an update"),
}


#: What each recorded action is, for the audit trail.
ACTION_LABELS = {
    "signature.approved": _l("Signature published"),
    "signature.rejected": _l("Signature rejected"),
    "signature.edited": _l("Signature corrected by a moderator"),
    "signature.hidden": _l("Signature hidden from the list"),
    "signature.restored": _l("Signature restored to the list"),
    "signature.drafter_changed": _l("Drafting organisation changed"),
    "signature.imported": _l("Signature imported"),
    "signature.corrected_by_signer": _l("Signature corrected by its signer"),
    "signature.correction_submitted": _l("Correction sent by the signer, waiting for review"),
    "signature.correction_approved": _l("Signer's correction applied"),
    "signature.correction_rejected": _l("Signer's correction set aside"),
    "signature.naming_changed_by_signer": _l("Signer chose named or counted only"),
    "signature.news_changed_by_signer": _l("Signer asked for or stopped the campaign news"),
    "signature.withdrawn": _l("Signature withdrawn by its signer"),
    "signature.not_me": _l("Signature removed: \"it wasn't me\""),
    "signature.replaced_by_signer": _l("Unconfirmed signature removed: its signer sent a corrected one"),
    "login.succeeded": _l("Logged in"),
    "login.failed": _l("Failed login"),
    "logout": _l("Logged out"),
    "account.created": _l("Account created"),
    "account.disabled": _l("Account disabled"),
    "account.enabled": _l("Account enabled"),
    "account.password_reset": _l("Password reset"),
    "account.role_changed": _l("Role changed"),
    "account.second_factor_reset": _l("Second factor reset"),
    "account.sessions_ended": _l("Sessions ended"),
    "account.link_issued": _l("New account link issued"),
    "account.set_up": _l("Account link used"),
    "account.setup_failed": _l("Failed use of an account link"),
    "export.downloaded": _l("Signatures exported"),
    "pack.requested": _l("Delivery pack asked for"),
    "privacy.purged": _l("Old personal data erased by the daily purge"),
    "partner.created": _l("Partner added"),
    "partner.link_renewed": _l("Partner's private link replaced"),
    "partner.link_revoked": _l("Partner's private link revoked"),
    "signing.paused": _l("Signing paused"),
    "signing.resumed": _l("Signing resumed"),
    "letter.closed": _l("Signing closed"),
    "letter.reopened": _l("Signing reopened"),
    "letter.closing_set": _l("Closing date set"),
    "letter.goal_set": _l("Goal set"),
    "timeline.recorded": _l("Event added to the timeline"),
    "timeline.removed": _l("Event removed from the timeline"),
    "timeline.edited": _l("Event on the timeline edited"),
    "update.created": _l("Update started"),
    "update.text_saved": _l("Update written"),
    "update.approval_asked": _l("Update sent for approval"),
    "update.approved": _l("Update approved"),
    "update.self_approval_refused": _l("Approval refused: an update's author cannot approve it"),
    "update.deleted": _l("Update deleted"),
    "update.test_sent": _l("Test of an update sent"),
    "update.sent": _l("Update queued to its signers"),
    "update.change_notice_drafted": _l("Notice of a changed text drafted"),
    "update.stopped_by_signer": _l("Signer stopped the campaign news"),
}
#: Who acted, when it was not an account: the signer, the server's command line, a publication rule, the purge.
ACTOR_LABELS = {
    "signer": _l("The signer"),
    "cli": _l("Command line on the server"),
    "rule:individuals": _l("Publication rule: individuals"),
    "rule:all-unflagged": _l("Publication rule: everything without a warning"),
    "purge": _l("Automatic deletion"),
    "unknown account": _l("Unknown account"),
}
TARGET_LABELS = {"signature": _l("Signature"), "admin_user": _l("Account"), "site": _l("Site"), "letter": _l("Letter"),
                 "update": _l("Update"), "partner": _l("Partner")}
#: The kinds and states of updates to signers (``models.updates``).
UPDATE_KIND_LABELS = {"news": _l("Campaign update"), "change-notice": _l("Notice of a changed text")}
UPDATE_STATUS_LABELS = {
    "draft": _l("Draft"), "awaiting": _l("Awaiting approval"), "approved": _l("Approved, not sent yet"),
    "sending": _l("Being queued"), "sent": _l("Queued to its signers"),
}
#: What a timeline event is called when it has no words of its own (and the feed's categories).
TIMELINE_KIND_LABELS = {
    "published": _l("The letter was published"),
    "closed": _l("Signing closed"),
    "reopened": _l("Signing reopened"),
    "delivered": _l("The letter was delivered"),
    "response": _l("A response was received"),
}

#: Where a letter stands (``lifecycle.timeline.stage``).
STAGE_LABELS = {
    "open": _l("Open for signatures"),
    "closed": _l("Signing closed"),
    "delivered": _l("Delivered"),
    "answered": _l("Answered"),
}


def timeline_heading(entry: timeline.Entry) -> str:
    """An event's heading in the page's language: its own words if an admin wrote them."""
    if entry.words is not None:
        return entry.words.title
    if entry.kind == "goal_reached" and entry.goal is not None:
        # The count written as the page's language writes numbers (1,000 / 1 000 / ١٬٠٠٠).
        words = get_translations().ungettext("Goal reached: %(num)s signature", "Goal reached: %(num)s signatures",
                                             entry.goal)
        return words % {"num": format_number(entry.goal)}
    return str(TIMELINE_KIND_LABELS.get(entry.kind, entry.kind))


@dataclass(frozen=True)
class Change:
    label: object
    before: str | None
    after: str | None


#: What an audit entry about an account records.
ACCOUNT_RECORD_LABELS = {
    "email": _l("Email address"),
    "role": _l("Role"),
    "active": _l("Active"),
    "purpose": _l("What the link is for"),
    "problem": _l("What failed"),
    "sessions": _l("Sessions ended"),
}
_ACCOUNT_VALUES = {"role": ROLE_LABELS, "purpose": LINK_PURPOSE_LABELS, "problem": SETUP_PROBLEM_LABELS}


def audit_changes(before: dict | None, after: dict | None, target_type: str = "signature") -> list[Change]:
    """An audit entry's change, field by field, with translated labels and readable values."""
    if target_type == "admin_user":
        labels: dict[str, object] = dict(ACCOUNT_RECORD_LABELS)
        read = _account_value
    elif target_type == "letter":
        labels, read = dict(LETTER_RECORD_LABELS), _letter_value
    elif target_type == "update":
        labels, read = dict(UPDATE_RECORD_LABELS), _letter_value
    elif target_type == "partner":
        labels, read = dict(PARTNER_RECORD_LABELS), _recorded
    else:
        labels = {field.name: field.label for field in SIGNER_FIELDS} | RECORD_LABELS
        read = _recorded
    before, after = before or {}, after or {}
    return [Change(labels.get(name, name), read(name, before[name]) if name in before else None,
                   read(name, after[name]) if name in after else None)
            for name in dict.fromkeys([*before, *after])]


#: What an audit entry about a coalition partner records.
PARTNER_RECORD_LABELS = {"name": _l("Partner's name"), "code": _l("Code for its links")}
#: What an audit entry about a letter records: its lifecycle, its timeline, a delivery pack asked for.
LETTER_RECORD_LABELS = {
    "language": _l("Language"),
    "closes_at": _l("Closing date (UTC)"),
    "goal": _l("Goal"),
    "event": _l("Event number"),
    "kind": _l("Event"),
    "occurred_at": _l("When (UTC)"),
    "languages": _l("Languages"),
    "titles": _l("Headings"),
    "summaries": _l("Summaries"),
    "link": _l("Link"),
    "file": _l("File (SHA-256)"),
}

#: What an audit entry about an update records.
UPDATE_RECORD_LABELS = {
    "language": _l("Language"),
    "subjects": _l("Subjects"),
    "queued": _l("Messages queued"),
    "signatures": _l("Signatures reached"),
    "held_back": _l("Signers held back (mailed too recently)"),
}


def _letter_value(name: str, value: object) -> str:
    if value is None:
        return "—"
    if name == "language" and isinstance(value, str):
        return i18n.language_name(value)
    if name == "kind":
        return str(TIMELINE_KIND_LABELS.get(str(value), value))
    if name in ("closes_at", "occurred_at") and isinstance(value, str):
        return dates.moment(dt.datetime.fromisoformat(value), "medium")
    if name == "languages" and isinstance(value, list):
        return i18n.list_of([i18n.language_name(code) for code in value])
    if isinstance(value, dict):
        return "; ".join(f"{i18n.language_name(code)}: {text}" for code, text in value.items())
    return str(value)


def _account_value(name: str, value: object) -> str:
    if name in _ACCOUNT_VALUES and str(value) in _ACCOUNT_VALUES[name]:
        return str(_ACCOUNT_VALUES[name][str(value)])
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return "—" if value is None else str(value)


def _recorded(name: str, value: object) -> str:
    """A value as an audit entry recorded it: readable when it is a known kind of value."""
    try:
        return _readable(name, value)
    except (KeyError, ValueError, LookupError):
        return str(value)


#: What the signer reads for each column recorded about their signature.
RECORD_LABELS = {
    "status": _l("Status"),
    "language": _l("Language you signed in"),
    "letter_version": _l("Version of the text you signed"),
    "is_drafter": _l("Drafting organisation"),
    "domain_verified": _l("Confirmed from an address on the website's domain"),
    "email_domain": _l("Domain of your email address"),
    "email_hash": _l("Keyed fingerprint of your address"),
    "email_sealed": _l("Your address, encrypted"),
    "held_address_box": _l("Your address, held encrypted until the moderators decide"),
    "client_network_hash": _l("Keyed fingerprint of your network"),
    "source": _l("How the signature came in"),
    "import_key": _l("Fingerprint of an imported entry"),
    "created_at": _l("Signed on"),
    "updated_at": _l("Last changed on"),
    "verified_at": _l("Confirmed on"),
    "last_email_at": _l("Last email sent on"),
    "decided_at": _l("Reviewed on"),
    "published_at": _l("Published on"),
    "rejection_reason": _l("Reason for not publishing"),
    "signer_told": _l("Reason sent to the signer by email"),  # recorded in the audit trail only
    "format": _l("File format"),  # an export, in the audit trail
    "filters": _l("Filters"),
    "correction": _l("Your correction, waiting for review"),
    "correction_at": _l("Correction sent on"),
    "partner_id": _l("Coalition partner whose link you came through"),
    "public_id": _l("Public id of your entry in the signed snapshots"),
    "snapshot_salt": _l("Random salt that hides your entry in the signed snapshots"),
}
#: Columns only a specialist reads: shown folded away, under "Technical details".
TECHNICAL = frozenset({"letter_version", "email_hash", "email_sealed", "held_address_box", "client_network_hash",
                       "import_key", "source", "public_id", "snapshot_salt"})
#: Values that are codes rather than words: shown in a fixed-width font, left to right.
CODES = frozenset({"letter_version", "email_hash", "client_network_hash", "import_key", "public_id", "snapshot_salt"})


@dataclass(frozen=True)
class DataItem:
    label: object
    value: str
    technical: bool
    code: bool = False


def signer_data(signature: Signature) -> list[DataItem]:
    """Everything stored about a signature, each item with a translated label and a readable value
    in the page's language (the same columns as the download, see ``fields``)."""
    labels = {field.name: field.label for field in SIGNER_FIELDS} | RECORD_LABELS
    return [DataItem(labels[name], _readable(name, getattr(signature, name)), name in TECHNICAL, name in CODES)
            for name in (*FIELD_NAMES, *RECORD_COLUMNS)]


@dataclass(frozen=True)
class ProposedChange:
    label: object
    now: str
    proposed: str


def proposed_changes(signature: Signature) -> list[ProposedChange]:
    """A signer's waiting correction of a published entry, field by field: what the list shows now
    and what the signer asks for, for the moderator to compare."""
    labels = {field.name: field.label for field in SIGNER_FIELDS}
    return [ProposedChange(labels[name], _readable(name, getattr(signature, name)), _readable(name, value))
            for name, value in (signature.correction or {}).items() if name in labels]


def source_label(source: str) -> str:
    """How a signature came in, in words: the form, an import (and its file and line), the letter."""
    if source == "form":
        return _("The sign form on this site")
    if source.startswith("import:"):
        return _("Added by the campaign from a list (%(where)s)", where=source.removeprefix("import:"))
    if source == "letter:drafted_by":
        return _("Named in the letter as a drafting organisation")
    if source == "embed":
        return _("The sign form on a partner's website")
    if source == "demo":
        return _("Demonstration data")
    return source


def _readable(name: str, value: object) -> str:
    if name == "held_address_box" and value is None:
        return _("Not held: erased when the moderators decided, or never kept")
    if value is None or value == "":
        return "—"
    code = value.value if isinstance(value, enum.Enum) else str(value)
    if name == "status" and code in STATUS_LABELS:
        return str(STATUS_LABELS[code])
    if name == "kind" and code in KIND_LABELS:
        return str(KIND_LABELS[code])
    if name == "country":
        return i18n.country_name(str(value))
    if name == "language":
        return i18n.describe(str(value)).name
    if name == "source":
        return source_label(str(value))
    if name == "partner_id":
        return partners.get(int(str(value))).name
    if name == "snapshot_salt" and isinstance(value, bytes):
        return value.hex()
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return dates.moment(value, "medium") + " UTC"
    if name == "held_address_box" and isinstance(value, bytes):  # the server's own box, not the offline key's
        return ngettext("%(num)s byte, opened only to tell you of the moderators' decision, then erased",
                        "%(num)s bytes, opened only to tell you of the moderators' decision, then erased", len(value))
    if isinstance(value, bytes):
        return ngettext("%(num)s byte, readable only with the campaign's offline key",
                        "%(num)s bytes, readable only with the campaign's offline key", len(value))
    if isinstance(value, dict):
        labels = {field.name: field.label for field in SIGNER_FIELDS}
        return "; ".join(f"{labels.get(key, key)}: {item}" for key, item in value.items())
    return str(value)


def letter_title(letter: Letter) -> str:
    """A letter as an admin reads it in a list of letters: its title in the page's language, else in
    its original one; its short name (slug) only if it has no text yet."""
    view = letters.letter_in_language(letter, i18n.current_language())
    return view.text.title if view is not None else letter.slug


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        letter_title=letter_title,
        status_labels=STATUS_LABELS, kind_labels=KIND_LABELS, role_labels=ROLE_LABELS, flag_labels=FLAG_LABELS,
        link_purpose_labels=LINK_PURPOSE_LABELS, source_label=source_label,
        mail_kind_labels=MAIL_KIND_LABELS, proposed_changes=proposed_changes, action_labels=ACTION_LABELS,
        target_labels=TARGET_LABELS, audit_changes=audit_changes, actor_labels=ACTOR_LABELS,
        language_name=i18n.language_name, timeline_heading=timeline_heading, stage_labels=STAGE_LABELS,
        timeline_kind_labels=TIMELINE_KIND_LABELS, update_kind_labels=UPDATE_KIND_LABELS,
        update_status_labels=UPDATE_STATUS_LABELS, supported_languages=i18n.supported_codes,
    )
    app.jinja_env.filters["language_name"] = i18n.language_name
