"""Signatures, the tokens of the links sent to signers, and suppressed addresses."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import UTCDateTime, enum_column, utcnow


class SignatureKind(str, enum.Enum):
    INDIVIDUAL = "individual"
    ORGANISATION = "organisation"


class SignatureStatus(str, enum.Enum):
    PENDING = "pending"  # submitted, email not verified yet
    VERIFIED = "verified"  # email verified, waiting for a moderator
    PUBLISHED = "published"
    REJECTED = "rejected"
    HIDDEN = "hidden"  # was published, taken off the list by a moderator


class Signature(Model):
    """One signature of one letter by one email address.

    The address itself is never stored in clear: ``email_hash`` (a keyed HMAC of the normalised
    address) finds duplicates, ``email_domain`` helps moderators, and ``email_sealed`` is a
    sealed box to the campaign's public key that only the offline private key can open.
    Signatories imported from an offline list may have no address; ``import_key`` keeps
    re-imports idempotent.
    """

    __tablename__ = "signatures"
    __table_args__ = (
        UniqueConstraint("letter_id", "email_hash", "signer_key"),
        UniqueConstraint("letter_id", "import_key"),
        Index("ix_signatures_letter_id_status_id", "letter_id", "status", "id"),
        Index("ix_signatures_email_domain_created_at", "email_domain", "created_at"),
        Index("ix_signatures_public_by_name", "letter_id", "status", "kind", "search_text", "id"),
        Index("ix_signatures_public_by_date", "letter_id", "status", "kind", "published_at", "id"),
        Index("ix_signatures_public_country_by_name", "letter_id", "status", "kind", "country", "search_text", "id"),
        Index("ix_signatures_correction_at", "correction_at"),
        # The operator's dashboard (moderation.stats): a window's rows read from the index alone.
        Index("ix_signatures_letter_id_created_at", "letter_id", "created_at", "language", "kind", "status", "verified_at"),
        Index("ix_signatures_letter_id_verified_at", "letter_id", "verified_at"),
        Index("ix_signatures_letter_id_decided_at", "letter_id", "decided_at", "verified_at"),
        # One address's signatures (``mail.updates``: an update once per address, the minimum days).
        Index("ix_signatures_email_hash", "email_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    kind: Mapped[SignatureKind] = mapped_column(enum_column(SignatureKind, "signature_kind"))
    status: Mapped[SignatureStatus] = mapped_column(enum_column(SignatureStatus, "signature_status"))

    name: Mapped[str | None] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(500))
    comment: Mapped[str | None] = mapped_column(String(500))
    consent_publish: Mapped[bool] = mapped_column(default=False)
    consent_updates: Mapped[bool] = mapped_column(default=False)
    is_drafter: Mapped[bool] = mapped_column(default=False, server_default="0")
    #: An organisation that confirmed by its link from an address on its website's domain
    #: (``signing.domains``, ``signing.rows.domain_verified``): set at confirmation, evaluated again
    #: when its website is corrected; never for an imported entry.
    domain_verified: Mapped[bool] = mapped_column(default=False, server_default="0")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Random and stable: names the entry in the signed snapshots and their proofs
    #: (``publication.snapshots``); safe to publish, it tells nothing of the signer.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    #: Random bytes hashed into the entry's leaf of each snapshot, so that a leaf reveals nothing
    #: of the entry without them; deleted with the entry, the old snapshots still verify.
    snapshot_salt: Mapped[bytes] = mapped_column(LargeBinary)

    email_hash: Mapped[str | None] = mapped_column(String(64))
    #: Who signs with this address: "individual", or "organisation:" and the organisation's folded
    #: name. An address signs once as a person and once for each organisation it speaks for.
    signer_key: Mapped[str] = mapped_column(String(240), default="individual", server_default="individual")
    email_domain: Mapped[str | None] = mapped_column(String(253))
    email_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The address again, kept only until a moderator decides, so that the signer can be told it is
    #: published (or, if the moderator chooses, why it was not): in a secret box whose key is derived
    #: from ``EMAIL_HASH_KEY``, so the database alone names nobody. Erased when the signature is
    #: decided, and with it when withdrawn or purged; never made when the settings turn both notices
    #: off (``signing.notices``). A column of the signature, not a table of its own: written by the
    #: signature's one insert (BENCHMARKS.md, "Profiled and fixed"). ``HeldAddress`` rows are the
    #: boxes of the release before, read until the next release drops them.
    held_address_box: Mapped[bytes | None] = mapped_column(LargeBinary)

    language: Mapped[str] = mapped_column(String(8))
    letter_version: Mapped[str] = mapped_column(String(64))
    client_network_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(300), default="form", server_default="form")
    #: The coalition partner whose link or embedded form the signer came through (``?via=``).
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"), index=True)
    import_key: Mapped[str | None] = mapped_column(String(64))

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_email_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("admin_users.id", ondelete="SET NULL"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    #: A signer's correction of a published entry, waiting for a moderator: the entry stays public
    #: as it was until the correction is approved.
    correction: Mapped[dict | None] = mapped_column(JSON)
    correction_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    tokens: Mapped[list[SignatureToken]] = relationship(
        back_populates="signature", cascade="all, delete-orphan", passive_deletes=True
    )


class TokenPurpose(str, enum.Enum):
    CONFIRM = "confirm"
    WITHDRAW = "withdraw"
    NOT_ME = "not-me"
    MANAGE = "manage"


class SignatureToken(Model):
    """A link sent by email. Only the SHA-256 of the token is kept; each token serves one purpose."""

    __tablename__ = "signature_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    signature: Mapped[Signature] = relationship(back_populates="tokens")


class EmailSuppression(Model):
    """An address (as its keyed hash) whose owner said "it wasn't me": the form mails it no more."""

    __tablename__ = "email_suppressions"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class HeldAddress(Model):
    """A box of ``Signature.held_address_box`` written by the release before migration 0018.

    A rolling deploy migrates once and then reloads each app node in turn, so the old workers keep
    writing here until their reload: the table stays for one release, read where a signature's own
    column is empty and erased with the decision (and with the signature, by its foreign key). The
    next release's migration moves what is left into the column and drops the table; until then, no
    new row is written here.
    """

    __tablename__ = "held_addresses"

    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id", ondelete="CASCADE"), primary_key=True)
    address_box: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
