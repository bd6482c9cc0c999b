"""The rules of signing: submit, verify, withdraw, "it wasn't me". Each call owns its transaction.

Nothing here reveals whether an address has signed: every submission ends the same way for the
caller, and what differs (a verification link, a reminder, "you have already signed", or
nothing) only ever reaches the mailbox of the address itself.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from email_validator import ValidatedEmail
from flask import current_app
from sqlalchemy import CursorResult, delete, or_, select, update

from ..crypto import client_network, digests_match, keyed_hash
from ..extensions import db, upsert
from ..letters import LetterView
from ..lifecycle import closing
from ..mail import outbox, rendering
from ..models import (
    AdminUser,
    EmailKind,
    EmailSuppression,
    Signature,
    SignatureKind,
    SignatureStatus,
    SignatureToken,
    SiteSetting,
    TokenPurpose,
    utcnow,
)
from ..moderation import audit, decisions
from ..publication import counts
from ..web import caches
from ..web.limits import hit
from . import notices, rows, writes
from .fields import FIELD_NAMES, SignatureDetails
from .tokens import TokenExpired, TokenInvalid, find_token, new_links

SIGNING_PAUSED_KEY = "signing_paused"


class SigningPaused(Exception):
    """Signing is switched off for now (links in emails keep working)."""


def signing_paused(*, fresh: bool = False) -> bool:
    """Whether the pause switch is on. Every sign request asks, so each process keeps the answer for
    ``SIGNING_PAUSE_CACHE_SECONDS``: a pause reaches all processes within that time, and the form
    costs no database round trip. ``fresh`` reads the switch itself (the admin page that flips it)."""
    if not fresh:
        cached = caches.get(caches.signing_paused_key())
        if cached is not None:
            return cached
    setting = db.session.get(SiteSetting, SIGNING_PAUSED_KEY)
    paused = setting is not None and setting.value == "1"
    return caches.put(caches.signing_paused_key(), paused, current_app.config["SIGNING_PAUSE_CACHE_SECONDS"])


def set_signing_paused(paused: bool, actor: AdminUser | None = None, actor_label: str = "cli") -> None:
    setting = db.session.get(SiteSetting, SIGNING_PAUSED_KEY) or SiteSetting(key=SIGNING_PAUSED_KEY)
    setting.value = "1" if paused else "0"
    db.session.add(setting)
    audit.record(actor, actor_label, "signing.paused" if paused else "signing.resumed", "site", None)
    db.session.commit()
    caches.put(caches.signing_paused_key(), paused, current_app.config["SIGNING_PAUSE_CACHE_SECONDS"])


def _refuse_if_closed(view: LetterView) -> None:
    """A closed letter takes no signature and sends no new link: links already sent keep working."""
    if closing.has_closed(view.letter.closes_at) and view.letter.closes_at is not None:
        raise closing.SigningClosed(view.letter.closes_at)


def _allow_email_to(address_hash: str) -> bool:
    """At most ``VERIFICATION_EMAIL_LIMIT`` messages a day to one address, counted in the shared store."""
    return hit(current_app.config["VERIFICATION_EMAIL_LIMIT"], "verification-email", address_hash)


def _queue_verification(signature_id: int, signer_name: str | None, recipient: str, language: str,
                        view: LetterView, now: dt.datetime, *, new: bool, signed_as: str) -> None:
    """A confirm link now and, unless one was ever queued for this signature (never for a ``new``
    one), a reminder with the same link for later: both written with one statement."""
    links, tokens = new_links(language, now, confirm=True)
    messages = [rendering.message_row(
        EmailKind.VERIFICATION, recipient, language, letter_title=view.text.title, signer_name=signer_name,
        signed_as=signed_as, confirm_hours=current_app.config["CONFIRM_TOKEN_HOURS"], **links,
    )]
    reminder = notices.reminder(recipient, language, view, signer_name, signed_as, links, now) \
        if new or not notices.has_reminder(signature_id) else None
    if reminder is not None:
        messages.append(reminder)
    writes.write_mail(signature_id, writes.MailToQueue(messages, tokens))


def submit_signature(view: LetterView, language: str, details: SignatureDetails, address: ValidatedEmail,
                     client_address: str | None, *, source: str = "form", partner_id: int | None = None) -> int | None:
    """Record a signature of the letter ``view`` shows (or answer a repeat of one) and queue the
    right email, in one transaction. Returns the id of the signature this submission is about while
    it waits for its confirmation (a new one, or a waiting one it repeated, which takes its details:
    "correct it" may take either back); None for a repeat of a confirmed one.
    ``source``: ``form`` or ``embed`` (a partner's page); ``partner_id``: who the signer came through."""
    if signing_paused():
        raise SigningPaused()
    _refuse_if_closed(view)
    now = utcnow()
    network = client_network(client_address)
    row = rows.signature_row(
        view.letter.id, details, status=SignatureStatus.PENDING, language=language,
        letter_version=view.text.version, source=source, now=now, address=rows.address_columns(address),
        client_network_hash=keyed_hash(current_app.config["CLIENT_HASH_KEY"], network) if network else None,
        partner_id=partner_id,
    )
    recipient = rows.mailbox(address)
    row["last_email_at"] = now
    row["held_address_box"] = notices.held_box(recipient)
    signature_id = writes.insert_signature(row, now)
    if signature_id is None:
        return _answer_repeat(view, address, row, language, details, now)
    if _allow_email_to(row["email_hash"]):
        _queue_verification(signature_id, details.name, recipient, language, view, now, new=True,
                            signed_as=label_for(details.kind, details.organisation, details.name))
    db.session.commit()
    return signature_id


def drop_mistyped(view: LetterView, replaced_id: int, corrected: ValidatedEmail, details: SignatureDetails) -> bool:
    """The person corrected the signature they had just made ("Wrong address? Correct it") and sent
    it again: the first one, never confirmed, goes with the mail still waiting for it. Its reminder
    would reach whoever owns a mistyped address, its confirm link would sign in this person's name,
    and a mistyped organisation would wait beside the right one. Kept when the corrected form is the
    same signature (same address, same organisation or person) or it was confirmed meanwhile."""
    signature = db.session.get(Signature, replaced_id, with_for_update=True)
    same = signature is not None and signature.email_hash == rows.address_columns(corrected)["email_hash"] \
        and signature.signer_key == rows.signer_key(details.kind, details.organisation)
    if signature is None or same or signature.letter_id != view.letter.id \
            or signature.status is not SignatureStatus.PENDING:
        db.session.rollback()
        return False
    _erase_signature(signature, "signature.replaced_by_signer")
    db.session.commit()
    return True


def _claim_email_slot(signature_id: int, now: dt.datetime) -> bool:
    """Atomically take the right to email this signer now; simultaneous repeats get one email at most."""
    cooldown = dt.timedelta(seconds=current_app.config["RESEND_COOLDOWN_SECONDS"])
    result = cast(CursorResult, db.session.execute(
        update(Signature)
        .where(
            Signature.id == signature_id,
            or_(Signature.last_email_at.is_(None), Signature.last_email_at <= now - cooldown),
        )
        .values(last_email_at=now)
        .execution_options(synchronize_session=False)
    ))
    return result.rowcount == 1


def signer_label(signature: Signature) -> str:
    """How a signature is named to its own signer: the organisation, or the person."""
    return label_for(signature.kind, signature.organisation, signature.name)


def label_for(kind: SignatureKind, organisation: str | None, name: str | None) -> str:
    return (organisation if kind is SignatureKind.ORGANISATION else name) or ""


def _answer_repeat(view: LetterView, address: ValidatedEmail, row: dict, language: str,
                   details: SignatureDetails, now: dt.datetime) -> int | None:
    """The address has signed this letter already as this person or for this organisation, or asked
    not to be mailed: a pending signature takes the new details and gets a fresh link; a confirmed
    one is told what the address has signed, with the links to manage each. Returns the pending
    signature's id (see ``submit_signature``)."""
    existing = db.session.scalar(select(Signature).where(
        Signature.letter_id == view.letter.id, Signature.email_hash == row["email_hash"],
        Signature.signer_key == row["signer_key"],
    ))
    waiting = existing.id if existing is not None and existing.status is SignatureStatus.PENDING else None
    if existing is None or not _claim_email_slot(existing.id, now) or not _allow_email_to(row["email_hash"]):
        db.session.commit()
        return waiting
    recipient = rows.mailbox(address)
    if existing.status is SignatureStatus.PENDING:
        if any(getattr(existing, name) != row[name] for name in FIELD_NAMES):
            _retire_confirm_links(existing.id, now)
        for name in (*FIELD_NAMES, "search_text", "language"):
            setattr(existing, name, row[name])
        _queue_verification(existing.id, existing.name, recipient, language, view, now, new=False,
                            signed_as=signer_label(existing))
    else:
        writes.write_mail(existing.id, _already_signed_mail(existing, recipient, language, view, now))
    db.session.commit()
    return waiting


def _retire_confirm_links(signature_id: int, now: dt.datetime) -> None:
    """The details of a pending signature were replaced (by its signer correcting them, or by
    anyone who typed the same address): a confirm link sent before confirms only what its email
    showed, so the earlier links expire now (their page offers a fresh link, which shows the new
    details) and their unsent emails are taken back. Otherwise whoever sent the form last could
    have their words confirmed by the address's owner clicking the first email."""
    db.session.execute(
        update(SignatureToken)
        .where(SignatureToken.signature_id == signature_id, SignatureToken.purpose == TokenPurpose.CONFIRM,
               SignatureToken.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    outbox.discard_unsent_for(signature_id, kinds=(EmailKind.VERIFICATION, EmailKind.REMINDER))


def send_again(view: LetterView, language: str, address: ValidatedEmail) -> None:
    """The person who just signed asks for the email again: the newest unconfirmed signature of the
    address gets a fresh link, or, all confirmed, the address gets what it has signed; within the
    pause between two emails and the day's cap, and nothing at all for an address that has not
    signed (the page says the same either way).

    Once the letter has closed, no new confirm link is sent (those already sent work until they
    expire), but a signer who lost their email still gets the links to their signatures: what is
    held about a person stays within their reach."""
    now = utcnow()
    closed = closing.has_closed(view.letter.closes_at)
    signed = db.session.scalars(select(Signature).where(
        Signature.letter_id == view.letter.id, Signature.email_hash == rows.email_hash(address),
    ).order_by(Signature.id.desc())).all()
    confirmed = [each for each in signed if each.status is not SignatureStatus.PENDING]
    pending = next((each for each in signed if each.status is SignatureStatus.PENDING), None)
    target = (confirmed[0] if confirmed else None) if closed else (pending or (signed[0] if signed else None))
    if target is None or not _claim_email_slot(target.id, now) or not _allow_email_to(target.email_hash or ""):
        db.session.commit()
        return
    recipient = rows.mailbox(address)
    if target.status is SignatureStatus.PENDING:
        _queue_verification(target.id, target.name, recipient, language, view, now, new=False,
                            signed_as=signer_label(target))
    else:
        writes.write_mail(target.id, _already_signed_mail(target, recipient, language, view, now))
    db.session.commit()


def _already_signed_mail(signature: Signature, recipient: str, language: str, view: LetterView,
                         now: dt.datetime) -> writes.MailToQueue:
    """Everything this address has signed on the letter, each with its own links."""
    signed = db.session.scalars(select(Signature).where(
        Signature.letter_id == signature.letter_id, Signature.email_hash == signature.email_hash,
    ).order_by(Signature.id)).all()
    entries, tokens = [], []
    for each in signed:
        each_links, each_tokens = new_links(language, now, confirm=False)
        tokens += [{**token, "signature_id": each.id} for token in each_tokens]
        entries.append({"label": signer_label(each), "organisation": each.kind is SignatureKind.ORGANISATION,
                        "pending": each.status is SignatureStatus.PENDING, **each_links})
    this = next(entry for entry, each in zip(entries, signed, strict=True) if each.id == signature.id)
    message = rendering.message_row(
        EmailKind.ALREADY_SIGNED, recipient, language, letter_title=view.text.title, signer_name=signature.name,
        signatures=entries, not_me_url=this["not_me_url"], withdraw_url=this["withdraw_url"],
        manage_url=this["manage_url"],
    )
    return writes.MailToQueue([message], tokens)


def locked_signature(found: SignatureToken) -> Signature:
    """The signature of a link, its row locked for this transaction: confirming, withdrawing and
    "it wasn't me" at the same moment then take turns (each locks the signature first, so none
    deadlocks), and whoever comes second finds what the first left, or ``TokenInvalid``."""
    signature = db.session.scalar(
        select(Signature).where(Signature.id == found.signature_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if signature is None:
        raise TokenInvalid()
    return signature


def confirm(token: str) -> Signature:
    """Verify the address behind a confirm link. Harmless to repeat; a withdrawn signature stays gone."""
    found = find_token(token, TokenPurpose.CONFIRM, allow_expired=True)
    signature = locked_signature(found)
    now = utcnow()
    if signature.status is SignatureStatus.PENDING:
        if found.expires_at <= now:
            raise TokenExpired()
        signature.status = SignatureStatus.VERIFIED
        signature.verified_at = now
        rows.mark_domain(signature)
        notices.take_back_reminder(signature.id)
        decisions.publish_by_rule(signature)
    found.used_at = found.used_at or now
    db.session.commit()
    return signature


def renew_confirmation(token: str, address: ValidatedEmail, language: str, view: LetterView) -> None:
    """Send a fresh confirm link for an expired one, if the address given is the one that signed."""
    _refuse_if_closed(view)
    found = find_token(token, TokenPurpose.CONFIRM, allow_expired=True)
    signature = found.signature
    now = utcnow()
    if (
        signature.status is SignatureStatus.PENDING
        and signature.email_hash is not None  # an imported signature may have no address
        and digests_match(rows.email_hash(address), signature.email_hash)
        and _claim_email_slot(signature.id, now)
        and _allow_email_to(signature.email_hash)
    ):
        _queue_verification(signature.id, signature.name, rows.mailbox(address), language, view, now, new=False,
                            signed_as=signer_label(signature))
    db.session.commit()


def _erase_signature(signature: Signature, action: str) -> None:
    if signature.status is SignatureStatus.PUBLISHED:
        counts.count_unpublished(signature)
    audit.redact_signature(signature.id)
    audit.record(None, "signer", action, "signature", signature.id)
    outbox.discard_unsent_for(signature.id)
    db.session.execute(delete(SignatureToken).where(SignatureToken.signature_id == signature.id))
    db.session.execute(delete(Signature).where(Signature.id == signature.id))
    db.session.expunge(signature)


def withdraw(token: str, purpose: TokenPurpose = TokenPurpose.WITHDRAW) -> None:
    """Delete the signer's personal data and take the signature off every list and count."""
    signature = locked_signature(find_token(token, purpose))
    _erase_signature(signature, "signature.withdrawn")
    db.session.commit()


def not_me(token: str) -> None:
    """Someone signed with this address: remove it and stop mailing the address from the form."""
    signature = locked_signature(find_token(token, TokenPurpose.NOT_ME))
    now = utcnow()
    if signature.email_hash is not None:
        expires = now + dt.timedelta(days=current_app.config["SUPPRESSION_DAYS"])
        table = EmailSuppression.__table__
        db.session.execute(
            upsert(table).values(email_hash=signature.email_hash, created_at=now, expires_at=expires)
            .on_conflict_do_update(index_elements=[table.c.email_hash], set_={"created_at": now, "expires_at": expires})
        )
        # Nothing more goes to the address: not the reminders of its other signatures either.
        same_address = select(Signature.id).where(Signature.email_hash == signature.email_hash)
        outbox.discard_unsent_for_any(same_address)
    _erase_signature(signature, "signature.not_me")
    db.session.commit()
