"""Admin accounts, their server-side sessions, login throttling, and the audit trail."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import UTCDateTime, enum_column, utcnow


class AdminRole(str, enum.Enum):
    MODERATOR = "moderator"  # reviews signatures
    ADMIN = "admin"  # also manages accounts and exports personal data


class AdminUser(Model):
    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[AdminRole] = mapped_column(enum_column(AdminRole, "admin_role"))
    totp_secret: Mapped[str] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)
    wants_digest: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: A one-time link for the person to set their password and enrol their second factor (see
    #: ``moderation.enrolment``): the hash of its token, what it is for, and until when it works.
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_purpose: Mapped[str | None] = mapped_column(String(16))
    setup_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    sessions: Mapped[list[AdminSession]] = relationship(back_populates="user", passive_deletes=True)

    @property
    def is_admin(self) -> bool:
        return self.role is AdminRole.ADMIN


class AdminSession(Model):
    """A login. The cookie carries a random token; the server keeps its hash, so it can end it."""

    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[AdminUser] = relationship(back_populates="sessions")


class LoginThrottle(Model):
    """Failed logins per account or per client network, keyed by an HMAC so unknown accounts
    are throttled exactly like known ones."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Model):
    """One moderation or account action: who, what, when, the values before and after.

    Never edited or deleted by anyone through the application. The one exception is automatic:
    when a signer withdraws, values about them are replaced by a redaction marker.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_target_type_target_id", "target_type", "target_id"),
        Index("ix_audit_entries_action_id", "action", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("admin_users.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(500))
