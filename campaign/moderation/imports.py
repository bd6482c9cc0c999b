"""Loading signatories gathered offline (drafting organisations, launch endorsers) from CSV.

Each row is validated with the sign form's own rules; valid rows are stored as verified and
published, with the file and row they came from. Importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import Length, Optional

from . import audit
from .. import letters
from ..publication import listing as publication
from ..extensions import db
from ..web.forms import SignatureForm, single_line
from ..models import Letter, Signature, SignatureKind, SignatureStatus, utcnow
from ..security import keyed_hash, seal
from ..signing.rules import email_hash, mailbox
from ..text import search_key

COLUMNS = ("kind", "name", "organisation", "role", "country", "city", "website", "email", "comment",
           "consent_publish", "consent_updates", "drafter")
FALSE_VALUES = ("false", "", "no", "n", "0", "off")


class ImportRowForm(SignatureForm):
    """The sign form's rules, relaxed where offline lists differ: organisations may come without a
    contact person or address, and yes/no columns read like a spreadsheet writes them."""

    name = StringField(filters=[single_line], validators=[Optional(), Length(max=200)])
    email = EmailField(filters=[single_line], validators=[Optional(), Length(max=254)])
    consent_publish = BooleanField(false_values=FALSE_VALUES)
    consent_updates = BooleanField(false_values=FALSE_VALUES)
    drafter = BooleanField(false_values=FALSE_VALUES)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.kind.data == "individual" and not self.name.data:
            self.name.errors.append("An individual needs a name.")
            valid = False
        return valid


class CsvImportError(Exception):
    """The file as a whole cannot be imported (missing columns, unknown letter)."""


@dataclass
class ImportReport:
    imported: int = 0
    already_present: int = 0
    refused: list[tuple[int, dict[str, list[str]]]] = field(default_factory=list)


def _import_key(form: ImportRowForm) -> str:
    identity = "|".join([form.kind.data, search_key(form.organisation.data), search_key(form.name.data),
                         form.country.data])
    return keyed_hash(current_app.config["EMAIL_HASH_KEY"], "import:" + identity)


def import_csv(path: Path, letter: Letter, actor_label: str = "cli") -> ImportReport:
    view = letters.letter_in_language(letter, letter.original_language)
    report = ImportReport()
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"kind", "country"} - set(reader.fieldnames or [])
        if missing:
            raise CsvImportError(f"{path}: missing column(s): {', '.join(sorted(missing))}")
        for number, row in enumerate(reader, start=2):
            data = MultiDict({key: (value or "").strip() for key, value in row.items() if key in COLUMNS})
            with force_locale("en"):
                form = ImportRowForm(formdata=data, meta={"csrf": False})
                if not form.validate():
                    report.refused.append((number, {name: [str(e) for e in errors] for name, errors in form.errors.items()}))
                    continue
            key = _import_key(form)
            address_hash = email_hash(form.validated_email) if form.validated_email else None
            same = [Signature.import_key == key] + ([Signature.email_hash == address_hash] if address_hash else [])
            duplicate = db.session.scalar(select(Signature.id).where(Signature.letter_id == letter.id, or_(*same)))
            if duplicate is not None:
                report.already_present += 1
                continue
            now = utcnow()
            kind = SignatureKind(form.kind.data)
            signature = Signature(
                letter_id=letter.id, kind=kind, status=SignatureStatus.PUBLISHED,
                name=form.name.data, organisation=form.organisation.data, role=form.role.data,
                country=form.country.data, city=form.city.data,
                website=form.website.data if kind is SignatureKind.ORGANISATION else None,
                comment=form.comment.data,
                consent_publish=bool(form.consent_publish.data) or kind is SignatureKind.ORGANISATION,
                consent_updates=bool(form.consent_updates.data),
                is_drafter=bool(form.drafter.data) and kind is SignatureKind.ORGANISATION,
                search_text=publication.search_text_for(kind, form.name.data, form.organisation.data),
                email_hash=address_hash,
                email_domain=form.validated_email.domain.lower() if form.validated_email else None,
                email_sealed=seal(current_app.config["SEAL_PUBLIC_KEY"], mailbox(form.validated_email))
                if form.validated_email else None,
                language=letter.original_language, letter_version=view.text.version,
                source=f"import:{path.name}:{number}"[:300], import_key=key,
                created_at=now, verified_at=now, decided_at=now, published_at=now,
            )
            db.session.add(signature)
            try:
                db.session.flush()
            except IntegrityError:
                db.session.rollback()
                report.already_present += 1
                continue
            publication.count_published(signature)
            audit.record(None, actor_label, "signature.imported", "signature", signature.id,
                         after={"source": signature.source})
            db.session.commit()
            report.imported += 1
    return report
