"""Credit for coalition partners, without tracking: a partner's links and embedded form carry
``?via=<code>``, and the signature made through them records that partner. No cookie, no address,
no referrer: a signer who came by a plain link is credited to nobody.

Each partner sees its own figures on a private page reached by an unguessable link (only its hash
is stored; an admin can revoke it or make a new one). The figures are counts of confirmed
signatures by day and kind, never an entry; the public list never says who brought whom.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import crypto
from ..extensions import db
from ..models import AdminUser, Partner, Signature, SignatureStatus
from ..moderation import audit
from ..moderation.stats import utc_day
from ..web import parameters

#: Counted for a partner: confirmed by email, whether or not a moderator has looked yet. Pending
#: (unconfirmed) and rejected signatures are no one's; a withdrawn one is erased.
COUNTED = (SignatureStatus.VERIFIED, SignatureStatus.PUBLISHED, SignatureStatus.HIDDEN)
DAYS_SHOWN = 90


class PartnerCodeTaken(ValueError):
    """Another partner has this code already."""


@dataclass(frozen=True)
class PartnerTotals:
    partner: Partner
    organisations: int
    individuals: int

    @property
    def total(self) -> int:
        return self.organisations + self.individuals


@dataclass(frozen=True)
class PartnerDay:
    day: dt.date
    organisations: int
    individuals: int


def partner_id_for(via: str | None) -> int | None:
    """The partner a ``?via=`` code names; an unknown or malformed code credits nobody."""
    code = parameters.partner_code(via)
    if code is None:
        return None
    return db.session.scalar(select(Partner.id).where(Partner.code == code))


def create(name: str, code: str, actor: AdminUser) -> tuple[Partner, str]:
    """Register a partner; returns it with the link token of its page (shown to the admin once)."""
    token = crypto.new_token()
    partner = Partner(name=name, code=code, page_token_hash=crypto.token_digest(token), created_by_id=actor.id)
    db.session.add(partner)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise PartnerCodeTaken(code) from error
    audit.record(actor, actor.email, "partner.created", "partner", partner.id, after={"name": name, "code": code})
    db.session.commit()
    return partner, token


class UnknownPartner(LookupError):
    """No partner has this id."""


def get(partner_id: int) -> Partner:
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        raise UnknownPartner(partner_id)
    return partner


def new_page_link(partner_id: int, actor: AdminUser) -> str:
    """A new link to the partner's page; the previous one stops working."""
    partner = get(partner_id)
    token = crypto.new_token()
    partner.page_token_hash = crypto.token_digest(token)
    audit.record(actor, actor.email, "partner.link_renewed", "partner", partner.id)
    db.session.commit()
    return token


def revoke_page_link(partner_id: int, actor: AdminUser) -> None:
    partner = get(partner_id)
    partner.page_token_hash = None
    audit.record(actor, actor.email, "partner.link_revoked", "partner", partner.id)
    db.session.commit()


def partner_by_page_token(token: str) -> Partner | None:
    return db.session.scalar(select(Partner).where(Partner.page_token_hash == crypto.token_digest(token)))


def _counts_by_kind(letter_id: int, partner_id: int | None = None) -> dict[int, dict[str, int]]:
    """Confirmed signatures of one letter per partner (or of one partner) and kind."""
    query = (select(Signature.partner_id, Signature.kind, func.count())
             .where(Signature.letter_id == letter_id, Signature.partner_id.is_not(None), Signature.status.in_(COUNTED))
             .group_by(Signature.partner_id, Signature.kind))
    if partner_id is not None:
        query = query.where(Signature.partner_id == partner_id)
    by_partner: dict[int, dict[str, int]] = {}
    for found, kind, count in db.session.execute(query):
        if found is not None:  # always so (the query asks for credited signatures): for the type checker
            by_partner.setdefault(found, {})[kind.value] = count
    return by_partner


def _totals(partner: Partner, counted: dict[str, int]) -> PartnerTotals:
    return PartnerTotals(partner, counted.get("organisation", 0), counted.get("individual", 0))


def totals(letter_id: int) -> list[PartnerTotals]:
    """Every partner with its confirmed signatures of one letter by kind, most first."""
    by_partner = _counts_by_kind(letter_id)
    found = [_totals(partner, by_partner.get(partner.id, {}))
             for partner in db.session.scalars(select(Partner).order_by(Partner.name))]
    return sorted(found, key=lambda item: -item.total)


def totals_of(partner: Partner, letter_id: int) -> PartnerTotals:
    return _totals(partner, _counts_by_kind(letter_id, partner.id).get(partner.id, {}))


def days(partner_id: int, letter_id: int, today: dt.date) -> list[PartnerDay]:
    """The partner's confirmed signatures of one letter per day (UTC) of signing, newest first,
    over the last ``DAYS_SHOWN`` days; days without any are left out."""
    since = dt.datetime.combine(today - dt.timedelta(days=DAYS_SHOWN - 1), dt.time(), dt.timezone.utc)
    day = utc_day(Signature.created_at)
    rows = db.session.execute(
        select(day, Signature.kind, func.count())
        .where(Signature.partner_id == partner_id, Signature.letter_id == letter_id,
               Signature.status.in_(COUNTED), Signature.created_at >= since)
        .group_by(day, Signature.kind)
    ).all()
    by_day: dict[dt.date, dict[str, int]] = {}
    for when, kind, count in rows:
        key = when if isinstance(when, dt.date) else dt.date.fromisoformat(str(when))
        by_day.setdefault(key, {})[kind.value] = count
    return [PartnerDay(key, values.get("organisation", 0), values.get("individual", 0))
            for key, values in sorted(by_day.items(), reverse=True)]
