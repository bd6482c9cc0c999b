"""Admin accounts: passwords, second factor, login throttling and server-side sessions.

A login answer never says which part was wrong or whether the account exists: unknown accounts
cost the same password hash and are throttled under the same rules as real ones.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import CursorResult, case, delete, literal, or_, select, update
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ..crypto import client_network, keyed_hash, new_token, token_digest
from ..extensions import db, upsert
from ..logs import security_event
from ..models import AdminRole, AdminSession, AdminUser, LoginThrottle, utcnow
from ..signing import rows
from ..signing.rows import mailbox
from . import audit

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
TOTP_ISSUER = "Campaign admin"
#: Failures before a key is slowed down (short locks), and before it is locked for a while.
SLOW_DOWN_AFTER = 3
LOCK_AFTER = 10
SLOW_DOWN_SECONDS = 30
LOCK_MINUTES = 15
CAMPAIGN_WORDS = ("biometric", "surveillance", "banbiometric", "campaign", "openletter", "signatories")

_hasher = PasswordHasher()  # argon2id with argon2-cffi's current recommended parameters


class AccountError(Exception):
    """Base of account errors; the message is for the operator running a command."""


class WeakPassword(AccountError):
    """``problem`` names the rule broken ("short", "long" or "common"), for pages to say it in the reader's language."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


class LoginFailed(AccountError):
    """Wrong email, password or code, a disabled account, or a lock: deliberately indistinguishable."""


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(CAMPAIGN_WORDS)


def check_password_policy(password: str) -> None:
    """At least 12 and at most 128 characters, no composition rules, not a common password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", "short")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.", "long")
    folded = password.casefold()
    stripped = folded.rstrip("0123456789!.?*#@$ ")
    if folded in _common_passwords() or stripped in _common_passwords() or len(set(folded)) < 4:
        raise WeakPassword("This password is too common. Choose a longer passphrase of unrelated words.", "common")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("an unused password to spend the same time on unknown accounts")


def otpauth_uri(user: AdminUser) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=rows.readable(user.email), issuer_name=TOTP_ISSUER)


def matching_totp_step(user: AdminUser, code: str, now: float) -> int | None:
    """The 30-second step (previous, current or next) whose code ``code`` is, if not used yet."""
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(user.totp_secret)
    current_step = totp.timecode(dt.datetime.fromtimestamp(now, dt.timezone.utc))
    for step in (current_step - 1, current_step, current_step + 1):
        if step > (user.totp_last_step or -1) and pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def use_totp_step(user: AdminUser, step: int) -> bool:
    """Take the step for this login in one conditional update: of simultaneous logins with one
    code, exactly one moves the account past the step, and only that one is accepted."""
    result = cast("CursorResult[Any]", db.session.execute(  # an UPDATE's result is a CursorResult
        update(AdminUser)
        .where(AdminUser.id == user.id,
               or_(AdminUser.totp_last_step.is_(None), AdminUser.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ))
    return result.rowcount == 1


def normalise_email(email: str) -> str:
    """An admin's address as it is stored, looked up, throttled and mailed: lower case, its domain in
    IDNA 2008 A-labels exactly as a signer's is sent (``rows.mailbox``), so ``straße.de`` is
    ``xn--strae-oqa.de``, never the ``strasse.de`` of the mail library's IDNA 2003. Text that is no
    address at all stays as typed (lower case): it names no account."""
    typed = email.strip()
    try:
        validated = validate_email(typed, check_deliverability=False)
    except EmailNotValidError:
        return typed.lower()
    return mailbox(validated).lower()


def create_admin(email: str, password: str, role: AdminRole, actor_label: str = "cli") -> AdminUser:
    check_password_policy(password)
    email = normalise_email(email)
    if db.session.scalar(select(AdminUser).where(AdminUser.email == email)) is not None:
        raise AccountError(f"An account for {email} already exists.")
    user = AdminUser(email=email, password_hash=hash_password(password), role=role, totp_secret=pyotp.random_base32())
    db.session.add(user)
    db.session.flush()
    audit.record(None, actor_label, "account.created", "admin_user", user.id, after={"email": email, "role": role.value})
    db.session.commit()
    return user


def find_admin(email: str) -> AdminUser:
    user = db.session.scalar(select(AdminUser).where(AdminUser.email == normalise_email(email)))
    if user is None:
        raise AccountError(f"No account for {email}.")
    return user


def list_admins() -> list[AdminUser]:
    return list(db.session.scalars(select(AdminUser).order_by(AdminUser.email)))


def revoke_sessions(user: AdminUser) -> int:
    result = cast("CursorResult[Any]", db.session.execute(  # an UPDATE's result is a CursorResult
        update(AdminSession)
        .where(AdminSession.user_id == user.id, AdminSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ))
    return result.rowcount


def set_active(user: AdminUser, active: bool, actor: AdminUser | None = None, actor_label: str = "cli") -> None:
    before = {"active": user.active}
    user.active = active
    if not active:
        revoke_sessions(user)
        # A link waiting to be used dies with the account: enabling it again does not revive a link
        # that may have leaked (what is left to set up stays, for "Issue a new link").
        user.setup_token_hash = user.setup_expires_at = None
    audit.record(actor, actor_label, "account.enabled" if active else "account.disabled", "admin_user", user.id,
                 before=before, after={"active": active})
    db.session.commit()


def reset_password(user: AdminUser, password: str, actor: AdminUser | None = None, actor_label: str = "cli") -> None:
    check_password_policy(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    revoke_sessions(user)
    audit.record(actor, actor_label, "account.password_reset", "admin_user", user.id)
    db.session.commit()


def reset_second_factor(user: AdminUser, actor: AdminUser | None = None, actor_label: str = "cli") -> str:
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    revoke_sessions(user)
    audit.record(actor, actor_label, "account.second_factor_reset", "admin_user", user.id)
    db.session.commit()
    return otpauth_uri(user)


def set_role(user: AdminUser, role: AdminRole, actor: AdminUser) -> None:
    before = {"role": user.role.value}
    user.role = role
    audit.record(actor, actor.email, "account.role_changed", "admin_user", user.id, before=before,
                 after={"role": role.value})
    db.session.commit()


# --- login ---------------------------------------------------------------------------------


def throttle_keys(email: str, client_address: str | None) -> list[str]:
    key = current_app.config["CLIENT_HASH_KEY"]
    keys = [keyed_hash(key, "login-account:" + normalise_email(email))]
    network = client_network(client_address)
    if network:
        keys.append(keyed_hash(key, "login-client:" + network))
    return keys


def is_locked(keys: list[str], now: dt.datetime) -> bool:
    rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    return any(row.locked_until is not None and row.locked_until > now for row in rows)


def record_failure(keys: list[str], now: dt.datetime) -> None:
    """Count a failure on each key with one upsert and an increment in the database, so
    simultaneous failures neither collide creating the row nor lose a count."""
    table = LoginThrottle.__table__
    moment = table.c.locked_until.type
    failures = table.c.failures + 1
    for key in keys:
        statement = upsert(table).values(key=key, failures=1, last_failure_at=now, locked_until=None)
        statement = statement.on_conflict_do_update(index_elements=[table.c.key], set_={
            "failures": failures,
            "last_failure_at": now,
            "locked_until": case(
                (failures >= LOCK_AFTER, literal(now + dt.timedelta(minutes=LOCK_MINUTES), moment)),
                (failures >= SLOW_DOWN_AFTER, literal(now + dt.timedelta(seconds=SLOW_DOWN_SECONDS), moment)),
                else_=table.c.locked_until,
            ),
        })
        db.session.execute(statement)


def clear_failures(keys: list[str]) -> None:
    """Forget the account's failures (the first key) in one statement; the client's decay on their own."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0]).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class NewSession:
    user: AdminUser
    token: str


def authenticate(email: str, password: str, code: str, client_address: str | None) -> NewSession:
    """Check all three factors; start a server-side session. Raises ``LoginFailed`` for any failure."""
    now = utcnow()
    keys = throttle_keys(email, client_address)
    user = db.session.scalar(select(AdminUser).where(AdminUser.email == normalise_email(email or "")))
    password_ok = password_matches(user.password_hash if user else _dummy_hash(), password or "")
    locked = is_locked(keys, now)
    require_totp = current_app.config["ADMIN_REQUIRE_TOTP"]
    step = matching_totp_step(user, (code or "").strip(), time.time()) if user is not None else None
    code_ok = not require_totp or step is not None
    if require_totp and step is not None and not locked and user is not None and user.active and password_ok:
        code_ok = use_totp_step(user, step)
    if locked or user is None or not user.active or not password_ok or not code_ok:
        reason = ("locked" if locked else "unknown account" if user is None else "disabled" if not user.active
                  else "password" if not password_ok else "second factor")
        record_failure(keys, now)
        audit.record(None, user.email if user else "unknown account", "login.failed", "admin_user",
                     user.id if user else None)
        db.session.commit()
        security_event("login.failed", account=user.id if user else "unknown", reason=reason.replace(" ", "_"))
        raise LoginFailed()
    clear_failures(keys)
    return start_session(user, now)


def start_session(user: AdminUser, now: dt.datetime) -> NewSession:
    """A server-side session for a user who has just proven every factor (at login or on their setup link)."""
    token = new_token()
    db.session.add(AdminSession(token_hash=token_digest(token), user_id=user.id, created_at=now, last_seen_at=now))
    user.last_login_at = now
    audit.record(user, user.email, "login.succeeded", "admin_user", user.id)
    db.session.commit()
    security_event("login.succeeded", account=user.id)
    return NewSession(user, token)


def load_session(token: object) -> AdminUser | None:
    """The user of a live session, refreshing its idle timer; ``None`` for anything else (the token
    comes from the session cookie: whatever it holds that is not a token names no one)."""
    if not token or not isinstance(token, str):
        return None
    session = db.session.scalar(select(AdminSession).where(AdminSession.token_hash == token_digest(token)))
    if session is None or session.revoked_at is not None or not session.user.active:
        return None
    now = utcnow()
    config = current_app.config
    if now - session.last_seen_at > dt.timedelta(minutes=config["ADMIN_IDLE_MINUTES"]) or \
            now - session.created_at > dt.timedelta(hours=config["ADMIN_SESSION_HOURS"]):
        session.revoked_at = now
        db.session.commit()
        return None
    if now - session.last_seen_at > dt.timedelta(seconds=30):
        session.last_seen_at = now
        db.session.commit()
    return session.user


def end_session(token: str | None) -> None:
    if not token:
        return
    session = db.session.scalar(select(AdminSession).where(AdminSession.token_hash == token_digest(token)))
    if session is not None and session.revoked_at is None:
        session.revoked_at = utcnow()
        audit.record(session.user, session.user.email, "logout", "admin_user", session.user_id)
        db.session.commit()
