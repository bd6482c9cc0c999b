"""Emailed links: 256 random bits each, one purpose each, stored only as their SHA-256."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from ..crypto import digests_match, new_token, token_digest
from ..extensions import db
from ..models import SignatureToken, TokenPurpose, utcnow
from ..web import i18n

#: Each link's name in an email's template, and the page it opens.
LINKS = {
    TokenPurpose.CONFIRM: ("confirm_url", "sign.confirm"),
    TokenPurpose.WITHDRAW: ("withdraw_url", "sign.withdraw"),
    TokenPurpose.NOT_ME: ("not_me_url", "sign.not_me"),
    TokenPurpose.MANAGE: ("manage_url", "manage.page"),
}
LONG_LIVED = (TokenPurpose.WITHDRAW, TokenPurpose.NOT_ME, TokenPurpose.MANAGE)


class TokenInvalid(Exception):
    """Unknown, tampered with, or meant for another purpose."""


class TokenExpired(Exception):
    """Past its time."""


def new_links(language: str, now: dt.datetime, *, confirm: bool,
              purposes: tuple[TokenPurpose, ...] = LONG_LIVED) -> tuple[dict[str, str], list[dict]]:
    """Fresh links for an email (a confirm link too, when ``confirm``; the long-lived ``purposes``),
    and the rows that store only their hashes."""
    config = current_app.config
    links, rows = {}, []
    for purpose in ((TokenPurpose.CONFIRM, *purposes) if confirm else purposes):
        lifetime = dt.timedelta(hours=config["CONFIRM_TOKEN_HOURS"]) if purpose is TokenPurpose.CONFIRM \
            else dt.timedelta(days=config["MANAGE_TOKEN_DAYS"])
        token = new_token()
        rows.append({"purpose": purpose, "token_hash": token_digest(token), "created_at": now,
                     "expires_at": now + lifetime})
        name, endpoint = LINKS[purpose]
        links[name] = i18n.absolute_url(endpoint, lang=language, token=token)
    return links, rows


def find_token(token: str, purpose: TokenPurpose, *, allow_expired: bool = False) -> SignatureToken:
    """The stored token for a link, checked for purpose and expiry. Raises ``TokenInvalid`` or
    ``TokenExpired``."""
    if not token or len(token) > 128:
        raise TokenInvalid()
    digest = token_digest(token)
    found = db.session.scalar(select(SignatureToken).where(SignatureToken.token_hash == digest))
    if found is None or found.purpose is not purpose or not digests_match(found.token_hash, digest):
        raise TokenInvalid()
    if not allow_expired and found.expires_at <= utcnow():
        raise TokenExpired()
    return found
