"""Typed SQLAlchemy 2 models. Every change here needs an Alembic migration (a test checks)."""

from .admin import AdminRole, AdminSession, AdminUser, AuditEntry, LoginThrottle
from .base import UTCDateTime, enum_column, utcnow
from .letters import Letter, LetterText, PublishedDay, PublishedTally
from .operations import EmailKind, OutboxMessage, OutboxStatus, SiteSetting
from .packs import PackBuild, PackStatus
from .partners import Partner
from .signatures import (
    EmailSuppression,
    HeldAddress,
    Signature,
    SignatureKind,
    SignatureStatus,
    SignatureToken,
    TokenPurpose,
)
from .snapshots import Snapshot, SnapshotChunk
from .timeline import TimelineEvent, TimelineFile, TimelineKind, TimelineText
from .updates import Update, UpdateDelivery, UpdateKind, UpdateStatus, UpdateText

__all__ = [
    "AdminRole", "AdminSession", "AdminUser", "AuditEntry", "EmailKind", "EmailSuppression", "enum_column", "HeldAddress",
    "Letter", "LetterText", "LoginThrottle", "OutboxMessage", "OutboxStatus", "PackBuild", "PackStatus", "Partner",
    "PublishedDay", "PublishedTally", "Signature", "SignatureKind", "SignatureStatus", "SignatureToken",
    "SiteSetting", "Snapshot", "SnapshotChunk", "TimelineEvent", "TimelineFile", "TimelineKind", "TimelineText",
    "TokenPurpose", "Update", "UpdateDelivery", "UpdateKind", "UpdateStatus", "UpdateText", "UTCDateTime", "utcnow",
]
