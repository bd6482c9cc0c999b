"""One-time links with which a person sets their own password and enrols their own second factor.

An admin creates an account, or resets someone's password or second factor, in the browser; the
person gets a link (handed over by the admin through a channel they trust) that works once, for
``ACCOUNT_LINK_HOURS``. Neither the password nor the authenticator secret passes through the admin.

Completing a link proves every factor, as a login does, so it opens a session: a new account sets a
password and shows a code from the secret it has just enrolled; a password reset shows a code from
the authenticator the person still holds; a second-factor reset gives the current password and a code
from the new secret. Failures count against the same throttle as logins.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from dataclasses import dataclass

import pyotp
from flask import current_app
from sqlalchemy import select

from ..crypto import new_token, token_digest
from ..extensions import db
from ..logs import security_event
from ..models import AdminRole, AdminUser, utcnow
from . import accounts, audit


class LinkPurpose(str, enum.Enum):
    ACCOUNT = "account"  # choose a password and enrol the second factor
    PASSWORD = "password"  # choose a new password
    SECOND_FACTOR = "second_factor"  # enrol a new second factor


class LinkInvalid(accounts.AccountError):
    """Unknown, used or expired, or the account is disabled: deliberately indistinguishable."""


class SetupFailed(accounts.AccountError):
    """``problem`` is "password" (the current one was wrong), "code" or "locked" (too many failures)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class IssuedLink:
    user: AdminUser
    token: str
    purpose: LinkPurpose
    expires_at: dt.datetime


def purpose_of(user: AdminUser) -> LinkPurpose | None:
    return LinkPurpose(user.setup_purpose) if user.setup_purpose else None


def link_is_live(user: AdminUser, now: dt.datetime | None = None) -> bool:
    return user.setup_token_hash is not None and user.setup_expires_at is not None \
        and user.setup_expires_at > (now or utcnow())


def _issue(user: AdminUser, purpose: LinkPurpose) -> IssuedLink:
    """A new link replaces any earlier one. A reset of the other factor while a link waits widens it:
    the person then sets both, since they can prove neither."""
    pending = purpose_of(user)
    if pending is not None and pending is not purpose:
        purpose = LinkPurpose.ACCOUNT
    token = new_token()
    expires_at = utcnow() + dt.timedelta(hours=current_app.config["ACCOUNT_LINK_HOURS"])
    user.setup_token_hash = token_digest(token)
    user.setup_purpose = purpose.value
    user.setup_expires_at = expires_at
    return IssuedLink(user, token, purpose, expires_at)


def _unusable_password() -> str:
    """The hash of a random password nobody knows: the account cannot log in until its link is used."""
    return accounts.hash_password(new_token())


def invite(email: str, role: AdminRole, actor: AdminUser) -> IssuedLink:
    """A new account with no usable password yet, and the link for its person to set one."""
    email = accounts.normalise_email(email)
    if db.session.scalar(select(AdminUser.id).where(AdminUser.email == email)) is not None:
        raise accounts.AccountError(f"An account for {email} already exists.")
    user = AdminUser(email=email, password_hash=_unusable_password(), role=role, totp_secret=pyotp.random_base32())
    db.session.add(user)
    db.session.flush()
    link = _issue(user, LinkPurpose.ACCOUNT)
    audit.record(actor, actor.email, "account.created", "admin_user", user.id, after={"email": email, "role": role.value})
    db.session.commit()
    return link


def reset_password(user: AdminUser, actor: AdminUser) -> IssuedLink:
    """The old password stops working and every session of the account ends at once."""
    user.password_hash = _unusable_password()
    user.password_changed_at = utcnow()
    accounts.revoke_sessions(user)
    link = _issue(user, LinkPurpose.PASSWORD)
    audit.record(actor, actor.email, "account.password_reset", "admin_user", user.id)
    db.session.commit()
    return link


def reset_second_factor(user: AdminUser, actor: AdminUser) -> IssuedLink:
    """The old authenticator stops working and every session of the account ends at once."""
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    accounts.revoke_sessions(user)
    link = _issue(user, LinkPurpose.SECOND_FACTOR)
    audit.record(actor, actor.email, "account.second_factor_reset", "admin_user", user.id)
    db.session.commit()
    return link


def reissue(user: AdminUser, actor: AdminUser) -> IssuedLink:
    """A fresh link for what is still to be done (the first expired or was lost); the old one stops working."""
    purpose = purpose_of(user)
    if purpose is None:
        raise accounts.AccountError(f"{user.email} has nothing left to set up.")
    link = _issue(user, purpose)
    audit.record(actor, actor.email, "account.link_issued", "admin_user", user.id, after={"purpose": purpose.value})
    db.session.commit()
    return link


def open_link(token: str) -> AdminUser:
    user = db.session.scalar(select(AdminUser).where(AdminUser.setup_token_hash == token_digest(token)))
    if user is None or not user.active or not link_is_live(user):
        raise LinkInvalid()
    return user


def _fail(user: AdminUser, keys: list[str], now: dt.datetime, problem: str) -> SetupFailed:
    accounts.record_failure(keys, now)
    audit.record(None, user.email, "account.setup_failed", "admin_user", user.id, after={"problem": problem})
    db.session.commit()
    security_event("account.setup_failed", account=user.id, reason=problem)
    return SetupFailed(problem)


def complete(token: str, *, new_password: str | None, current_password: str | None, code: str | None,
             client_address: str | None) -> accounts.NewSession:
    """Check what the link's purpose asks for; on success, save it, spend the link and log the person in.

    Raises ``LinkInvalid``, ``accounts.WeakPassword`` (nothing counted: the person chose badly, nobody
    guessed) or ``SetupFailed``.
    """
    user = open_link(token)
    purpose = purpose_of(user)
    now = utcnow()
    keys = accounts.throttle_keys(user.email, client_address)
    if accounts.is_locked(keys, now):
        raise SetupFailed("locked")
    if purpose is not LinkPurpose.SECOND_FACTOR:
        accounts.check_password_policy(new_password or "")
    elif not accounts.password_matches(user.password_hash, current_password or ""):
        raise _fail(user, keys, now, "password")
    if current_app.config["ADMIN_REQUIRE_TOTP"]:
        step = accounts.matching_totp_step(user, (code or "").strip(), time.time())
        if step is None or not accounts.use_totp_step(user, step):
            raise _fail(user, keys, now, "code")
    if purpose is not LinkPurpose.SECOND_FACTOR:
        user.password_hash = accounts.hash_password(new_password or "")
        user.password_changed_at = now
    user.setup_token_hash = user.setup_purpose = user.setup_expires_at = None
    accounts.clear_failures(keys)
    audit.record(user, user.email, "account.set_up", "admin_user", user.id, after={"purpose": purpose.value if purpose else None})
    return accounts.start_session(user, now)
