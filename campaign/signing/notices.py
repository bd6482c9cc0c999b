"""What a signer hears after signing: one reminder when they have not confirmed, and a word when a
moderator decides (they are on the list; or, if the moderator chooses, why they are not).

The server cannot open a signer's sealed address (only the offline key can), so these messages are
prepared while the address is at hand, when the signer submits the form:

- the reminder is queued in the outbox with the verification email, due ``CONFIRM_REMINDER_HOURS``
  later, with the same confirm link; confirming, withdrawing or "it wasn't me" takes it back, so it
  goes out at most once and never to someone who has confirmed or asked not to be mailed;
- for the decision, the address is held in a secret box (``Signature.held_address_box``) whose key
  is derived from ``EMAIL_HASH_KEY``, until the signature is decided (then the box is opened once and erased),
  withdrawn or purged. The database alone names nobody; with the app's keys as well, only the
  addresses of signatures waiting for a decision could be read. Both notices off: no box is made.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import delete, exists, select

from .. import crypto
from ..extensions import db
from ..letters import LetterView, cached_view, letter_info
from ..mail import outbox, rendering
from ..models import EmailKind, HeldAddress, Letter, OutboxMessage, Signature, SignatureKind
from ..publication import sharing
from ..web import i18n


def notices_on() -> bool:
    config = current_app.config
    return bool(config["NOTIFY_SIGNER_ON_PUBLISH"] or config["NOTIFY_SIGNER_ON_REJECT"])


def held_box(mailbox: str) -> bytes | None:
    """A new signature's address in its box, to keep until the decision: the value of its
    ``held_address_box``, written with the signature; None when both notices are off."""
    return crypto.hold(current_app.config["EMAIL_HASH_KEY"], mailbox) if notices_on() else None


def _held_address(signature: Signature) -> str | None:
    box = signature.held_address_box
    if box is None:  # held by a worker of the release before, until its reload (``HeldAddress``)
        box = db.session.scalar(select(HeldAddress.address_box).where(HeldAddress.signature_id == signature.id))
    return None if box is None else crypto.release_held(current_app.config["EMAIL_HASH_KEY"], box)


def reminder(recipient: str, language: str, view: LetterView, signer_name: str | None, signed_as: str,
             links: dict[str, str], now: dt.datetime) -> dict | None:
    """The reminder's row, due ``CONFIRM_REMINDER_HOURS`` from now, with the verification's links
    (None when reminders are off); its address waits in a box, not in clear, until it is sent. The
    caller queues it with the verification."""
    hours = current_app.config["CONFIRM_REMINDER_HOURS"]
    if not hours:
        return None
    row = rendering.message_row(EmailKind.REMINDER, recipient, language, letter_title=view.text.title,
                                signer_name=signer_name, signed_as=signed_as, **waited(hours), **links)
    return {**row, "recipient": None, "recipient_box": crypto.hold(current_app.config["EMAIL_HASH_KEY"], recipient),
            "next_attempt_at": now + dt.timedelta(hours=hours)}


def waited(hours: float) -> dict[str, int | None]:
    """How long ago the reminder says the person signed, from the setting: in days when it is a
    whole number of days ("2 days ago"), else in hours (``waited_days`` or ``waited_hours``)."""
    whole_hours = max(1, round(hours))
    if whole_hours % 24 == 0:
        return {"waited_days": whole_hours // 24, "waited_hours": None}
    return {"waited_days": None, "waited_hours": whole_hours}


def has_reminder(signature_id: int) -> bool:
    """Whether a reminder was ever queued for this signature (at most one, ever)."""
    return bool(db.session.scalar(select(exists().where(OutboxMessage.signature_id == signature_id,
                                                        OutboxMessage.kind == EmailKind.REMINDER.value))))


def take_back_reminder(signature_id: int) -> None:
    outbox.discard_unsent_for(signature_id, kinds=(EmailKind.REMINDER,))


def _letter_view(signature: Signature) -> LetterView | None:
    letter = db.session.get_one(Letter, signature.letter_id)
    return cached_view(letter.slug, signature.language)


def _release(signature: Signature) -> tuple[str, LetterView] | None:
    """Open the signature's held address and erase it (the decision is made, whether or not the
    signer is told): the address and the letter in the signer's language, or None."""
    recipient = _held_address(signature)
    signature.held_address_box = None
    db.session.execute(delete(HeldAddress).where(HeldAddress.signature_id == signature.id))
    view = _letter_view(signature)
    return (recipient, view) if recipient is not None and view is not None else None


def tell_published(signature: Signature) -> None:
    """Queue "you are on the list" in the signer's language and erase the held address."""
    released = _release(signature)
    if released is None or not current_app.config["NOTIFY_SIGNER_ON_PUBLISH"]:
        return
    recipient, view = released
    featured = letter_info(None)
    slug = None if featured is not None and featured.id == view.letter.id else view.letter.slug  # short addresses
    list_url = i18n.absolute_url("signatories.list", lang=signature.language, slug=slug)
    letter_url = i18n.absolute_url("letter.page", lang=signature.language, slug=slug)
    with force_locale(i18n.describe(signature.language).babel_locale):  # the links' labels, in the signer's language
        share = sharing.share_of(view, lang=signature.language, slug=slug)
    outbox.enqueue(EmailKind.PUBLISHED, recipient, signature.language, signature.id,
                   letter_title=view.text.title, signer_name=signature.name or signature.organisation or "",
                   list_url=list_url, letter_url=letter_url, share_links=share.links,
                   named=signature.kind is SignatureKind.ORGANISATION or signature.consent_publish)


def tell_rejected(signature: Signature, reason: str, tell: bool) -> bool:
    """Queue the moderator's reason when they chose to tell the signer; erase the held address.
    Whether an email went (none without a held address: an imported entry, say, or notices off)."""
    released = _release(signature)
    if not tell or released is None or not current_app.config["NOTIFY_SIGNER_ON_REJECT"]:
        return False
    recipient, view = released
    outbox.enqueue(EmailKind.REJECTED, recipient, signature.language, signature.id,
                   letter_title=view.text.title, signer_name=signature.name or signature.organisation or "",
                   reason=reason)
    return True
