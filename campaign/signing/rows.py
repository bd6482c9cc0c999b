"""How a signature row is built: the one place for its rules, whoever adds the signature (the sign
form, the import, the demo seed, the test factories).

The rules: an organisation is always named (its signature is public); only an organisation keeps a
website and can be a drafting organisation; public search matches what ``search_text_for`` says; an
address is kept only as its keyed hash, its domain and a sealed box; the time stamps follow the
status the row starts in.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata

import idna
from email_validator import ValidatedEmail
from flask import current_app

from ..crypto import keyed_hash, seal
from ..models import Signature, SignatureKind, SignatureStatus
from ..publication import counts
from ..publication.listing import search_text_for
from ..text import search_key
from .domains import address_on_website
from .fields import FIELD_NAMES, SignatureDetails

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
NO_ADDRESS = {"email_hash": None, "email_domain": None, "email_sealed": None}


def canonical_email(address: ValidatedEmail) -> str:
    """One spelling per mailbox: case, compatibility forms (fullwidth letters), IDNA, no ``+tag``,
    and Gmail's dots ignored."""
    local = unicodedata.normalize("NFKC", address.local_part).casefold().split("+", 1)[0]
    domain = address.ascii_domain.lower()
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def mailbox(address: ValidatedEmail) -> str:
    """The address as mail is sent to it: the local part as typed (NFC) and the domain in IDNA 2008
    A-labels, the encoding the form validated (``straße.de`` is ``xn--strae-oqa.de``, never the
    ``strasse.de`` of IDNA 2003). A non-ASCII local part can only travel over SMTPUTF8."""
    return f"{address.local_part}@{address.ascii_domain}"


def readable(mailbox_address: str) -> str:
    """A stored mailbox as people read it: its domain's A-labels back in their own letters
    (``xn--strae-oqa.de`` shows as ``straße.de``); left as it is if it does not decode."""
    local, at, domain = mailbox_address.rpartition("@")
    if not at or "xn--" not in domain:
        return mailbox_address
    try:
        return f"{local}@{idna.decode(domain)}"
    except idna.IDNAError:
        return mailbox_address


def email_hash(address: ValidatedEmail) -> str:
    return keyed_hash(current_app.config["EMAIL_HASH_KEY"], canonical_email(address))


def address_columns(address: ValidatedEmail | None) -> dict:
    """What a signature keeps of an address: its keyed hash (duplicates), its domain (moderators)
    and a sealed box only the offline private key opens."""
    if address is None:
        return dict(NO_ADDRESS)
    return {
        "email_hash": email_hash(address),
        "email_domain": address.domain.lower(),
        "email_sealed": seal(current_app.config["SEAL_PUBLIC_KEY"], mailbox(address)),
    }


def signer_key(kind: SignatureKind, organisation: str | None) -> str:
    """Who signs, for "one signature per address": the person, or one organisation among those the
    address speaks for (its name folded: case, accents, spacing and invisible characters do not
    make another organisation)."""
    return "individual" if kind is not SignatureKind.ORGANISATION else "organisation:" + search_key(organisation)


#: Where a signature comes from when its signer confirmed it by the link sent to its address.
CONFIRMED_BY_LINK_SOURCE = "form"


def domain_verified(kind: SignatureKind, status: SignatureStatus, source: str, email_domain: str | None,
                    website: str | None) -> bool:
    """Whether a signature is marked verified by its domain: an organisation that confirmed by the
    link sent to its address, from an address on its website's domain. An imported entry is never
    marked: the campaign typed its address, nobody showed they receive mail there."""
    return kind is SignatureKind.ORGANISATION and status is not SignatureStatus.PENDING \
        and source == CONFIRMED_BY_LINK_SOURCE and address_on_website(email_domain, website)


def mark_domain(signature: Signature) -> None:
    """Set (or clear) the mark from what the signature holds now: at confirmation, and after a
    correction of its website."""
    signature.domain_verified = domain_verified(signature.kind, signature.status, signature.source,
                                                signature.email_domain, signature.website)


def apply_changes(signature: Signature, changed: dict[str, tuple[object, object]]) -> None:
    """Write corrected fields (``{name: (old, new)}``, from ``fields.corrections``) into a signature,
    keeping its search text and, when it is published, the public counts right."""
    published = signature.status is SignatureStatus.PUBLISHED
    moves = published and "country" in changed
    if moves:
        counts.count_unpublished(signature)
    for name, (_, value) in changed.items():
        setattr(signature, name, value)
    signature.search_text = search_text_for(signature.kind, signature.name, signature.organisation)
    mark_domain(signature)
    if moves:
        counts.count_published(signature)
    elif published:
        counts.touch(signature.letter_id)


def signature_row(letter_id: int, details: SignatureDetails, *, status: SignatureStatus, language: str,
                  letter_version: str, source: str, now: dt.datetime, address: dict | None = None,
                  client_network_hash: str | None = None, is_drafter: bool = False,
                  import_key: str | None = None, partner_id: int | None = None) -> dict:
    """Every column of a new signature, from what the signer told us and where it comes from.
    ``address`` is ``address_columns(...)`` (or precomputed alike, as the demo seed does)."""
    organisation = details.kind is SignatureKind.ORGANISATION
    decided = status in (SignatureStatus.PUBLISHED, SignatureStatus.REJECTED)
    return {
        "letter_id": letter_id,
        "status": status,
        **{name: getattr(details, name) for name in FIELD_NAMES},
        "website": details.website if organisation else None,
        "consent_publish": details.consent_publish or organisation,
        "is_drafter": is_drafter and organisation,
        "domain_verified": domain_verified(details.kind, status, source, (address or NO_ADDRESS)["email_domain"],
                                           details.website if organisation else None),
        "search_text": search_text_for(details.kind, details.name, details.organisation),
        "signer_key": signer_key(details.kind, details.organisation),
        "public_id": secrets.token_hex(16),
        "snapshot_salt": secrets.token_bytes(32),
        **(address or NO_ADDRESS),
        "language": language,
        "letter_version": letter_version,
        "client_network_hash": client_network_hash,
        "source": source,
        "import_key": import_key,
        "partner_id": partner_id,
        "created_at": now,
        "updated_at": now,
        "verified_at": now if status is not SignatureStatus.PENDING else None,
        "decided_at": now if decided else None,
        "published_at": now if status is SignatureStatus.PUBLISHED else None,
    }
