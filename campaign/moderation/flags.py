"""Warnings shown beside a signature in the queue: hints for a person to weigh, never automatic refusals."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db
from ..mail import outbox
from ..models import Signature, SignatureKind, SignatureStatus, utcnow
from ..signing.domains import WEBMAIL_DOMAINS
from ..text import script_of, search_key

ALREADY_PUBLISHED = "organisation_already_published"
WEBSITE_DOMAIN_DIFFERS = "website_domain_differs"
DISPOSABLE_EMAIL = "disposable_email"
BUSY_NETWORK = "many_from_network"
BUSY_DOMAIN = "many_from_domain"
MIXED_SCRIPTS = "mixed_scripts"
UNDELIVERED_EMAIL = "undelivered_email"

#: Big public mail providers: many signatures from them are normal, so they never count as a busy
#: domain. The one list of them, kept with the rule of verified domains.
PUBLIC_MAIL_DOMAINS = WEBMAIL_DOMAINS


def _site_domain(url: str | None) -> str | None:
    host = (urlsplit(url).hostname or "") if url else ""
    host = host.lower().removeprefix("www.")
    return host or None


def domains_differ(website: str | None, email_domain: str | None) -> bool:
    """Whether neither domain is the other or a subdomain of it (``mail.org.example`` matches ``org.example``)."""
    site = _site_domain(website)
    if not site or not email_domain:
        return False
    email_domain = email_domain.lower()
    return not (site == email_domain or site.endswith("." + email_domain) or email_domain.endswith("." + site))


def has_mixed_scripts(*values: str | None) -> bool:
    """A word written in more than one script, e.g. Latin with a Cyrillic "а": a classic look-alike."""
    for value in values:
        for word in (value or "").split():
            scripts = {script_of(character) for character in word if character.isalpha()} - {None}
            if len(scripts) > 1:
                return True
    return False


def _published_organisations(signatures: list[Signature]) -> set[tuple[int, str]]:
    """(letter, folded name) of the published organisations named on this page. Names are compared
    folded (case, accents, spacing and invisible characters ignored): an organisation's search
    text is exactly its folded name."""
    keys = {(s.letter_id, search_key(s.organisation)) for s in signatures if s.organisation}
    if not keys:
        return set()
    rows = db.session.execute(
        select(Signature.letter_id, Signature.search_text).where(
            Signature.status == SignatureStatus.PUBLISHED,
            Signature.kind == SignatureKind.ORGANISATION,
            Signature.letter_id.in_({letter_id for letter_id, _ in keys}),
            Signature.search_text.in_({key for _, key in keys}),
        )
    ).all()
    return set(rows)


def _busy(column: InstrumentedAttribute[str | None], values: set[str], threshold: int, since: dt.datetime) -> set[str]:
    if not values:
        return set()
    rows = db.session.execute(
        select(column, func.count()).where(column.in_(values), Signature.created_at >= since).group_by(column)
    ).all()
    return {value for value, count in rows if value is not None and count >= threshold}


def flags_for(signatures: list[Signature]) -> list[list[str]]:
    """The flags of each signature, in order, with a handful of grouped queries for the whole page."""
    config = current_app.config
    since = utcnow() - dt.timedelta(hours=config["FLAG_WINDOW_HOURS"])
    published = _published_organisations(signatures)
    busy_networks = _busy(Signature.client_network_hash, {s.client_network_hash for s in signatures if s.client_network_hash},
                          config["FLAG_NETWORK_THRESHOLD"], since)
    busy_domains = _busy(Signature.email_domain,
                         {s.email_domain for s in signatures if s.email_domain and s.email_domain not in PUBLIC_MAIL_DOMAINS},
                         config["FLAG_DOMAIN_THRESHOLD"], since)
    undelivered = outbox.signatures_with_undelivered_mail([s.id for s in signatures])
    result = []
    for signature in signatures:
        found = []
        if signature.organisation and signature.status is not SignatureStatus.PUBLISHED and \
                (signature.letter_id, search_key(signature.organisation)) in published:
            found.append(ALREADY_PUBLISHED)
        if domains_differ(signature.website, signature.email_domain):
            found.append(WEBSITE_DOMAIN_DIFFERS)
        if signature.email_domain and signature.email_domain in DISPOSABLE_DOMAINS:
            found.append(DISPOSABLE_EMAIL)
        if signature.client_network_hash in busy_networks:
            found.append(BUSY_NETWORK)
        if signature.email_domain in busy_domains:
            found.append(BUSY_DOMAIN)
        if has_mixed_scripts(signature.name, signature.organisation, _site_domain(signature.website)):
            found.append(MIXED_SCRIPTS)
        if signature.id in undelivered:
            found.append(UNDELIVERED_EMAIL)
        result.append(found)
    return result
