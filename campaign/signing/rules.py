"""The rules of signing: submit, verify, withdraw, "it wasn't me". Each call owns its transaction.

Nothing here reveals whether an address has signed: every submission ends the same way for the
caller, and what differs (a verification link, a reminder, "you have already signed", or
nothing) only ever reaches the mailbox of the address itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from dataclasses import dataclass

from email_validator import ValidatedEmail
from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..moderation import audit
from ..web import i18n, caches as page_cache
from .. import letters
from ..mail import outbox
from ..publication import listing as publication
from . import writes as signature_writes
from ..extensions import db, hit
from ..models import AdminUser, EmailSuppression, Letter, Signature, SignatureKind, SignatureStatus, SignatureToken, SiteSetting, TokenPurpose, utcnow
from ..security import client_network, digests_match, keyed_hash, new_token, seal, token_digest

logger = logging.getLogger(__name__)

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
SIGNING_PAUSED_KEY = "signing_paused"
_PAUSE_CACHE_KEY = ("signing-paused",)


class SigningError(Exception):
    """Base of the domain errors views translate into pages."""


class SigningPaused(SigningError):
    pass


class TokenInvalid(SigningError):
    """Unknown, tampered with, or meant for another purpose."""


class TokenExpired(SigningError):
    def __init__(self, token: SignatureToken):
        super().__init__("expired")
        self.token = token


@dataclass(frozen=True)
class SignatureDetails:
    """What a signer tells us, already validated by the form."""

    kind: SignatureKind
    name: str
    organisation: str | None
    role: str | None
    country: str
    city: str | None
    website: str | None
    comment: str | None
    consent_publish: bool
    consent_updates: bool


def canonical_email(address: ValidatedEmail) -> str:
    """One spelling per mailbox: case, NFC, IDNA, no ``+tag``, and Gmail's dots ignored."""
    local = unicodedata.normalize("NFC", address.local_part).casefold().split("+", 1)[0]
    domain = address.ascii_domain.lower()
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def mailbox(address: ValidatedEmail) -> str:
    """The address as mail is sent to it: the local part as typed (NFC) and the domain in IDNA 2008
    A-labels, the encoding the form validated (``straße.de`` is ``xn--strae-oqa.de``, never the
    ``strasse.de`` of IDNA 2003). A non-ASCII local part can only travel over SMTPUTF8."""
    return f"{address.local_part}@{address.ascii_domain}"


def email_hash(address: ValidatedEmail) -> str:
    return keyed_hash(current_app.config["EMAIL_HASH_KEY"], canonical_email(address))


def signing_paused(*, fresh: bool = False) -> bool:
    """Whether the pause switch is on. Every sign request asks, so each process keeps the answer for
    ``SIGNING_PAUSE_CACHE_SECONDS``: a pause reaches all processes within that time, and the form
    costs no database round trip. ``fresh`` reads the switch itself (the admin page that flips it)."""
    if not fresh:
        cached = page_cache.get(_PAUSE_CACHE_KEY)
        if cached is not None:
            return cached
    setting = db.session.get(SiteSetting, SIGNING_PAUSED_KEY)
    paused = setting is not None and setting.value == "1"
    return page_cache.put(_PAUSE_CACHE_KEY, paused, current_app.config["SIGNING_PAUSE_CACHE_SECONDS"])


def set_signing_paused(paused: bool, actor: AdminUser | None = None, actor_label: str = "cli") -> None:
    setting = db.session.get(SiteSetting, SIGNING_PAUSED_KEY) or SiteSetting(key=SIGNING_PAUSED_KEY)
    setting.value = "1" if paused else "0"
    db.session.add(setting)
    audit.record(actor, actor_label, "signing.paused" if paused else "signing.resumed", "site", None)
    db.session.commit()
    page_cache.put(_PAUSE_CACHE_KEY, paused, current_app.config["SIGNING_PAUSE_CACHE_SECONDS"])


def _allow_email_to(address_hash: str) -> bool:
    """At most ``VERIFICATION_EMAIL_LIMIT`` messages a day to one address, counted in the shared store."""
    return hit(current_app.config["VERIFICATION_EMAIL_LIMIT"], "verification-email", address_hash)


_LINKS = (
    (TokenPurpose.WITHDRAW, "withdraw_url", "public.withdraw"),
    (TokenPurpose.NOT_ME, "not_me_url", "public.not_me"),
    (TokenPurpose.MANAGE, "manage_url", "public.manage"),
)
_CONFIRM_LINK = (TokenPurpose.CONFIRM, "confirm_url", "public.confirm")


def _links(language: str, now: dt.datetime, *, confirm: bool) -> tuple[dict[str, str], list[dict]]:
    """Fresh single-purpose links for an email, and the rows that store only their hashes."""
    config = current_app.config
    links, rows = {}, []
    for purpose, name, endpoint in (*_LINKS, _CONFIRM_LINK) if confirm else _LINKS:
        lifetime = (
            dt.timedelta(hours=config["CONFIRM_TOKEN_HOURS"])
            if purpose is TokenPurpose.CONFIRM
            else dt.timedelta(days=config["MANAGE_TOKEN_DAYS"])
        )
        token = new_token()
        rows.append({"purpose": purpose, "token_hash": token_digest(token), "created_at": now,
                     "expires_at": now + lifetime})
        links[name] = i18n.absolute_url(endpoint, lang=language, token=token)
    return links, rows


def _verification_mail(signer_name: str | None, recipient: str, language: str, title: str,
                       now: dt.datetime) -> signature_writes.MailToQueue:
    links, tokens = _links(language, now, confirm=True)
    message = outbox.message_row(
        "verification", recipient, language, "verification", "Confirm your signature", letter_title=title,
        signer_name=signer_name, confirm_hours=current_app.config["CONFIRM_TOKEN_HOURS"], **links,
    )
    return signature_writes.MailToQueue(message, tokens)


def _queue_verification(signature_id: int, signer_name: str | None, recipient: str, language: str, title: str,
                        now: dt.datetime) -> None:
    signature_writes.write_mail(signature_id, _verification_mail(signer_name, recipient, language, title, now))


def _queue_already_signed(signature: Signature, recipient: str, language: str, title: str, now: dt.datetime) -> None:
    links, tokens = _links(language, now, confirm=False)
    message = outbox.message_row(
        "already-signed", recipient, language, "already_signed", "You have already signed",
        letter_title=title, signer_name=signature.name, **links,
    )
    signature_writes.write_mail(signature.id, signature_writes.MailToQueue(message, tokens))


def _detail_values(details: SignatureDetails) -> dict:
    organisation = details.kind is SignatureKind.ORGANISATION
    return {
        "kind": details.kind,
        "name": details.name,
        "organisation": details.organisation,
        "role": details.role,
        "country": details.country,
        "city": details.city,
        "website": details.website if organisation else None,
        "comment": details.comment,
        "consent_publish": details.consent_publish or organisation,
        "consent_updates": details.consent_updates,
        "search_text": publication.search_text_for(details.kind, details.name, details.organisation),
    }


def _apply_details(signature: Signature, details: SignatureDetails) -> None:
    for name, value in _detail_values(details).items():
        setattr(signature, name, value)


def submit_signature(letter: Letter | letters.LetterInfo, language: str, letter_version: str, title: str, details: SignatureDetails,
                     address: ValidatedEmail, client_address: str | None) -> None:
    """Record a signature (or answer a repeat of one) and queue the right email, in one transaction."""
    if signing_paused():
        raise SigningPaused()
    now = utcnow()
    address_hash = email_hash(address)
    network = client_network(client_address)
    values = {
        "letter_id": letter.id,
        "status": SignatureStatus.PENDING,
        "email_hash": address_hash,
        "email_domain": address.domain.lower(),
        "email_sealed": seal(current_app.config["SEAL_PUBLIC_KEY"], mailbox(address)),
        "language": language,
        "letter_version": letter_version,
        "client_network_hash": keyed_hash(current_app.config["CLIENT_HASH_KEY"], network) if network else None,
        "is_drafter": False,
        "source": "form",
        "created_at": now,
        "updated_at": now,
        "last_email_at": now,
        **_detail_values(details),
    }
    mail = _verification_mail(details.name, mailbox(address), language, title, now)
    try:
        connection = db.session.connection()
        signature_id = signature_writes.insert_signature(connection, values, now, mail)
        if signature_id is not None and not _allow_email_to(address_hash):
            signature_writes.unqueue_mail(signature_id)
        db.session.commit()
        return
    except IntegrityError:
        db.session.rollback()
    _answer_repeat(letter, address, address_hash, language, title, details, now)


def _claim_email_slot(signature_id: int, now: dt.datetime) -> bool:
    """Atomically take the right to email this signer now; simultaneous repeats get one email at most."""
    cooldown = dt.timedelta(seconds=current_app.config["RESEND_COOLDOWN_SECONDS"])
    result = db.session.execute(
        update(Signature)
        .where(
            Signature.id == signature_id,
            or_(Signature.last_email_at.is_(None), Signature.last_email_at <= now - cooldown),
        )
        .values(last_email_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _answer_repeat(letter: Letter | letters.LetterInfo, address: ValidatedEmail, address_hash: str, language: str, title: str,
                   details: SignatureDetails, now: dt.datetime) -> None:
    existing = db.session.scalar(
        select(Signature).where(Signature.letter_id == letter.id, Signature.email_hash == address_hash)
    )
    if existing is None or not _claim_email_slot(existing.id, now) or not _allow_email_to(address_hash):
        db.session.commit()
        return
    if existing.status is SignatureStatus.PENDING:
        _apply_details(existing, details)
        existing.language = language
        _queue_verification(existing.id, existing.name, mailbox(address), language, title, now)
    else:
        _queue_already_signed(existing, mailbox(address), language, title, now)
    db.session.commit()


def find_token(token: str, purpose: TokenPurpose, *, allow_expired: bool = False) -> SignatureToken:
    """The stored token for a link, checked for purpose and expiry. Raises ``TokenInvalid``/``TokenExpired``."""
    if not token or len(token) > 128:
        raise TokenInvalid()
    digest = token_digest(token)
    found = db.session.scalar(select(SignatureToken).where(SignatureToken.token_hash == digest))
    if found is None or found.purpose is not purpose or not digests_match(found.token_hash, digest):
        raise TokenInvalid()
    if not allow_expired and found.expires_at <= utcnow():
        raise TokenExpired(found)
    return found


def confirm(token: str) -> Signature:
    """Verify the address behind a confirm link. Harmless to repeat; a withdrawn signature stays gone."""
    found = find_token(token, TokenPurpose.CONFIRM, allow_expired=True)
    signature = found.signature
    now = utcnow()
    if signature.status is SignatureStatus.PENDING:
        if found.expires_at <= now:
            raise TokenExpired(found)
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
        and digests_match(email_hash(address), signature.email_hash)
        and _claim_email_slot(signature.id, now)
        and _allow_email_to(signature.email_hash)
    ):
        _queue_verification(signature.id, signature.name, mailbox(address), language, title, now)
    db.session.commit()


def _erase_signature(signature: Signature, action: str) -> None:
    if signature.status is SignatureStatus.PUBLISHED:
        publication.count_unpublished(signature)
    audit.redact_signature(signature.id)
    audit.record(None, "signer", action, "signature", signature.id)
    outbox.discard_unsent_for(signature.id)
    db.session.execute(delete(SignatureToken).where(SignatureToken.signature_id == signature.id))
    db.session.delete(signature)


def withdraw(token: str, purpose: TokenPurpose = TokenPurpose.WITHDRAW) -> None:
    """Delete the signer's personal data and take the signature off every list and count."""
    signature = find_token(token, purpose).signature
    _erase_signature(signature, "signature.withdrawn")
    db.session.commit()


def not_me(token: str) -> None:
    """Someone signed with this address: remove it and stop mailing the address from the form."""
    signature = find_token(token, TokenPurpose.NOT_ME).signature
    now = utcnow()
    suppression = db.session.get(EmailSuppression, signature.email_hash) or EmailSuppression(
        email_hash=signature.email_hash
    )
    suppression.created_at = now
    suppression.expires_at = now + dt.timedelta(days=current_app.config["SUPPRESSION_DAYS"])
    db.session.add(suppression)
    _erase_signature(signature, "signature.not_me")
    db.session.commit()
