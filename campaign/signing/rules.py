"""The rules of signing: submit, verify, withdraw, "it wasn't me". Each call owns its transaction.

Nothing here reveals whether an address has signed: every submission ends the same way for the
caller, and what differs (a verification link, a reminder, "you have already signed", or
nothing) only ever reaches the mailbox of the address itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from email_validator import ValidatedEmail
from flask import current_app
from sqlalchemy import CursorResult, delete, or_, select, update

from ..crypto import client_network, digests_match, keyed_hash
from ..extensions import db, upsert
from ..letters import LetterView
from ..mail import outbox, rendering
from ..mail.rendering import EmailKind
from ..models import (
    AdminUser,
    EmailSuppression,
    Signature,
    SignatureStatus,
    SignatureToken,
    SiteSetting,
    TokenPurpose,
    utcnow,
)
from ..moderation import audit
from ..publication import counts
from ..web import caches
from ..web.limits import hit
from . import rows, writes
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


def _allow_email_to(address_hash: str) -> bool:
    """At most ``VERIFICATION_EMAIL_LIMIT`` messages a day to one address, counted in the shared store."""
    return hit(current_app.config["VERIFICATION_EMAIL_LIMIT"], "verification-email", address_hash)


def _verification_mail(signer_name: str | None, recipient: str, language: str, title: str,
                       now: dt.datetime) -> writes.MailToQueue:
    links, tokens = new_links(language, now, confirm=True)
    message = rendering.message_row(
        EmailKind.VERIFICATION, recipient, language, letter_title=title, signer_name=signer_name,
        confirm_hours=current_app.config["CONFIRM_TOKEN_HOURS"], **links,
    )
    return writes.MailToQueue(message, tokens)


def _already_signed_mail(signer_name: str | None, recipient: str, language: str, title: str,
                         now: dt.datetime) -> writes.MailToQueue:
    links, tokens = new_links(language, now, confirm=False)
    message = rendering.message_row(EmailKind.ALREADY_SIGNED, recipient, language, letter_title=title,
                                 signer_name=signer_name, **links)
    return writes.MailToQueue(message, tokens)


def submit_signature(view: LetterView, language: str, details: SignatureDetails, address: ValidatedEmail,
                     client_address: str | None) -> None:
    """Record a signature of the letter ``view`` shows (or answer a repeat of one) and queue the
    right email, in one transaction."""
    if signing_paused():
        raise SigningPaused()
    now = utcnow()
    network = client_network(client_address)
    row = rows.signature_row(
        view.letter.id, details, status=SignatureStatus.PENDING, language=language,
        letter_version=view.text.version, source="form", now=now, address=rows.address_columns(address),
        client_network_hash=keyed_hash(current_app.config["CLIENT_HASH_KEY"], network) if network else None,
    )
    row["last_email_at"] = now
    signature_id = writes.insert_signature(row, now)
    if signature_id is None:
        _answer_repeat(view, address, row["email_hash"], language, details, now)
        return
    if _allow_email_to(row["email_hash"]):
        mail = _verification_mail(details.name, rows.mailbox(address), language, view.text.title, now)
        writes.write_mail(signature_id, mail)
    db.session.commit()


def _claim_email_slot(signature_id: int, now: dt.datetime) -> bool:
    """Atomically take the right to email this signer now; simultaneous repeats get one email at most."""
    cooldown = dt.timedelta(seconds=current_app.config["RESEND_COOLDOWN_SECONDS"])
    result = cast("CursorResult[Any]", db.session.execute(  # an UPDATE's result is a CursorResult
        update(Signature)
        .where(
            Signature.id == signature_id,
            or_(Signature.last_email_at.is_(None), Signature.last_email_at <= now - cooldown),
        )
        .values(last_email_at=now)
        .execution_options(synchronize_session=False)
    ))
    return result.rowcount == 1


def _answer_repeat(view: LetterView, address: ValidatedEmail, address_hash: str, language: str,
                   details: SignatureDetails, now: dt.datetime) -> None:
    """The address has signed this letter already, or asked not to be mailed: a pending signature
    takes the new details and gets a fresh link; a confirmed one is told it has signed."""
    existing = db.session.scalar(
        select(Signature).where(Signature.letter_id == view.letter.id, Signature.email_hash == address_hash)
    )
    if existing is None or not _claim_email_slot(existing.id, now) or not _allow_email_to(address_hash):
        db.session.commit()
        return
    if existing.status is SignatureStatus.PENDING:
        row = rows.signature_row(view.letter.id, details, status=SignatureStatus.PENDING, language=language,
                                 letter_version=view.text.version, source=existing.source, now=now)
        for name in (*FIELD_NAMES, "search_text", "language"):
            setattr(existing, name, row[name])
        mail = _verification_mail(existing.name, rows.mailbox(address), language, view.text.title, now)
    else:
        mail = _already_signed_mail(existing.name, rows.mailbox(address), language, view.text.title, now)
    writes.write_mail(existing.id, mail)
    db.session.commit()


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
    found.used_at = found.used_at or now
    db.session.commit()
    return signature


def renew_confirmation(token: str, address: ValidatedEmail, language: str, title: str) -> None:
    """Send a fresh confirm link for an expired one, if the address given is the one that signed."""
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
        writes.write_mail(signature.id, _verification_mail(signature.name, rows.mailbox(address), language, title, now))
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
    _erase_signature(signature, "signature.not_me")
    db.session.commit()
