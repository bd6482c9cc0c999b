"""The signer's fields: one list, from which everything that handles them is derived.

``SignatureDetails`` is that list: each of its fields is a form field of the sign form (the public
contract), a column of the import CSV and of the admin exports, a column of the ``signatures``
table, a line of the signer's own page and of their data download. A new field is added here (and
to the model, the form and a migration); every list below follows.

The other columns of a signature are what we record about it (``RECORD_COLUMNS``: shown to the
signer too) or are internal (``INTERNAL_COLUMNS``); a test checks that every column is in exactly
one of the three groups, so nothing describing a signer can be left out of their data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from flask_babel import lazy_gettext as _l

from ..models import Signature, SignatureKind


def _described(label: object, *, editable: bool = False) -> Any:  # Any: as ``dataclasses.field`` is typed
    return field(metadata={"label": label, "editable": editable})


@dataclass(frozen=True)
class SignatureDetails:
    """What a signer tells us, already validated by a form."""

    kind: SignatureKind = _described(_l("Signing as"))
    name: str | None = _described(_l("Name"), editable=True)
    organisation: str | None = _described(_l("Organisation"), editable=True)
    role: str | None = _described(_l("Title or role"), editable=True)
    country: str = _described(_l("Country"), editable=True)
    city: str | None = _described(_l("City"), editable=True)
    website: str | None = _described(_l("Website"), editable=True)
    comment: str | None = _described(_l("Comment for the moderators"))
    consent_publish: bool = _described(_l("Named on the public list"))
    consent_updates: bool = _described(_l("News about the campaign"))


@dataclass(frozen=True)
class SignerField:
    name: str
    label: object  # a lazy translated string
    editable: bool


SIGNER_FIELDS: tuple[SignerField, ...] = tuple(
    SignerField(item.name, item.metadata["label"], item.metadata["editable"]) for item in fields(SignatureDetails)
)
FIELD_NAMES: tuple[str, ...] = tuple(item.name for item in SIGNER_FIELDS)
#: What the signer (from their own page) and moderators may correct after signing.
EDITABLE: tuple[str, ...] = tuple(item.name for item in SIGNER_FIELDS if item.editable)
#: The sign form's public contract: partner sites post these names (``via``: the partner's code).
FORM_CONTRACT: tuple[str, ...] = (*FIELD_NAMES, "email", "via", "started")
#: The import CSV's columns: the fields, the address, and whether a drafting organisation.
IMPORT_COLUMNS: tuple[str, ...] = (*FIELD_NAMES, "email", "drafter")

#: What we record about a signature beside what the signer told us: all of it is the signer's data.
RECORD_COLUMNS: tuple[str, ...] = (
    "status", "language", "letter_version", "is_drafter", "domain_verified", "email_domain", "email_hash", "email_sealed",
    "held_address_box", "client_network_hash", "source", "import_key", "created_at", "updated_at", "verified_at", "last_email_at",
    "decided_at", "published_at", "rejection_reason", "correction", "correction_at", "partner_id",
    "public_id", "snapshot_salt",
)
#: Columns that describe no signer: keys, what is derived from the fields, and the moderator.
INTERNAL_COLUMNS: tuple[str, ...] = ("id", "letter_id", "search_text", "signer_key", "decided_by_id")
#: The admin exports: ids, the fields, and what moderators may see of the record (no hashes).
ADMIN_COLUMNS: tuple[str, ...] = (
    "id", "letter_id", "status", *FIELD_NAMES, "email_domain", "domain_verified", "is_drafter", "language", "letter_version",
    "source", "created_at", "verified_at", "published_at", "rejection_reason",
)


def required_for(kind: SignatureKind) -> tuple[str, ...]:
    """The fields a signature of ``kind`` cannot do without: what the public list shows it by."""
    return ("organisation", "country") if kind is SignatureKind.ORGANISATION else ("name", "country")


class RequiredFieldEmpty(ValueError):
    """A correction would empty a field the signature cannot do without."""


def corrections(signature: Signature, changes: Mapping[str, str | None]) -> dict[str, tuple[object, object]]:
    """The editable fields that ``changes`` would change, as ``{name: (old, new)}``: the one rule
    for corrections by the signer and by moderators (an individual keeps no website). Raises
    ``RequiredFieldEmpty`` rather than empty what the list shows the signature by."""
    changed: dict[str, tuple[object, object]] = {
        name: (getattr(signature, name), value) for name, value in changes.items()
        if name in EDITABLE and getattr(signature, name) != value
    }
    if signature.kind is not SignatureKind.ORGANISATION:
        changed.pop("website", None)
    for name in required_for(signature.kind):
        if name in changed and not changed[name][1]:
            raise RequiredFieldEmpty(name)
    return changed


def details_from(values: Mapping[str, Any]) -> SignatureDetails:
    """Details from anything with the fields' names as keys (a form's data, a CSV row's cleaned
    values); booleans as truth values, the kind as its enum."""
    data = {name: values[name] for name in FIELD_NAMES}
    data["kind"] = SignatureKind(data["kind"])
    data["consent_publish"] = bool(data["consent_publish"])
    data["consent_updates"] = bool(data["consent_updates"])
    return SignatureDetails(**data)
