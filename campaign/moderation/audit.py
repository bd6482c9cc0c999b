"""The audit trail: every moderation and account action, with the values before and after."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..logs import security_event
from ..models import AdminUser, AuditEntry

REDACTED = "[withdrawn]"
PAGE_SIZE = 100


def record(actor: AdminUser | None, actor_label: str, action: str, target_type: str, target_id: int | None,
           before: dict | None = None, after: dict | None = None, note: str | None = None) -> AuditEntry:
    """Add an entry to the caller's transaction (the caller commits with the action itself)."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_label=actor_label[:254],
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        note=note[:500] if note else None,
    )
    db.session.add(entry)
    if actor_label != "signer" and not action.startswith("login."):
        security_event(f"admin.{action}", actor=actor.id if actor else actor_label, target=f"{target_type}#{target_id}")
    return entry


def redact_signature(signature_id: int) -> None:
    """A signer withdrew: keep who did what and when, drop the values that describe them."""
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.target_type == "signature", AuditEntry.target_id == signature_id)
    )
    for entry in entries:
        entry.before = dict.fromkeys(entry.before, REDACTED) if entry.before else None
        entry.after = dict.fromkeys(entry.after, REDACTED) if entry.after else None
        if entry.note:
            entry.note = REDACTED


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    target_type: str | None = None
    target_id: int | None = None
    before_id: int | None = None  # keyset cursor: entries older than this id


def entries(filters: AuditFilter, limit: int = PAGE_SIZE) -> list[AuditEntry]:
    """Newest first, paged by id so every page costs the same."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.actor:
        query = query.where(AuditEntry.actor_label == filters.actor.strip().lower())
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id is not None:
        query = query.where(AuditEntry.target_id == filters.target_id)
    if filters.before_id is not None:
        query = query.where(AuditEntry.id < filters.before_id)
    return list(db.session.scalars(query))


def known_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
