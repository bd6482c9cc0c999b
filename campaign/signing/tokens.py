"""Emailed links: 256 random bits each, one purpose each, stored only as their SHA-256."""

from __future__ import annotations

import datetime as dt

from flask import current_app, g, has_request_context, request
from sqlalchemy import select

from ..crypto import digests_match, new_token, token_digest
from ..extensions import db
from ..models import SignatureToken, TokenPurpose, utcnow
from ..web import caches, i18n

#: Each link's name in an email's template, and the page it opens.
LINKS = {
    TokenPurpose.CONFIRM: ("confirm_url", "sign.confirm"),
    TokenPurpose.WITHDRAW: ("withdraw_url", "sign.withdraw"),
    TokenPurpose.NOT_ME: ("not_me_url", "sign.not_me"),
    TokenPurpose.MANAGE: ("manage_url", "manage.page"),
}
LONG_LIVED = (TokenPurpose.WITHDRAW, TokenPurpose.NOT_ME, TokenPurpose.MANAGE)
#: Stands for the token while a link's shape is built: URL-safe (``quote`` keeps it as is), unlike any address.
_TOKEN_MARK = "~~token~~"
_SHAPES_SECONDS = 24 * 3600  # the routes never change while the app runs; a day bounds what a stale key could hold


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
    shapes = _link_shapes(language)
    for purpose in ((TokenPurpose.CONFIRM, *purposes) if confirm else purposes):
        lifetime = dt.timedelta(hours=config["CONFIRM_TOKEN_HOURS"]) if purpose is TokenPurpose.CONFIRM \
            else dt.timedelta(days=config["MANAGE_TOKEN_DAYS"])
        token = new_token()
        rows.append({"purpose": purpose, "token_hash": token_digest(token), "created_at": now,
                     "expires_at": now + lifetime})
        name, _ = LINKS[purpose]
        before, after = shapes[purpose]
        links[name] = before + token + after
    return links, rows


def _link_shapes(language: str) -> dict[TokenPurpose, tuple[str, str]]:
    """Each link's absolute address before and after its token, for this language and letter.

    An email carries three or four links, each from ``url_for``: built once per process, language and
    letter with a mark for the token, then filled in (like a statement or a page skeleton, the same
    address, not a second way to make it). Tokens are URL-safe, so ``url_for`` would write them as is."""
    key = caches.link_shapes_key(language, g.get("letter_slug"), request.script_root if has_request_context() else "")
    shapes = caches.get(key)
    if shapes is None:
        shapes = {}
        for purpose, (_, endpoint) in LINKS.items():
            before, _, after = i18n.absolute_url(endpoint, lang=language, token=_TOKEN_MARK).partition(_TOKEN_MARK)
            shapes[purpose] = (before, after)
        caches.put(key, shapes, _SHAPES_SECONDS)
    return shapes


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
