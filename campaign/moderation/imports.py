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
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import Length, Optional

from .. import letters
from ..crypto import keyed_hash
from ..extensions import db, upsert
from ..models import Letter, Signature, SignatureStatus, utcnow
from ..publication import counts
from ..signing import rows
from ..signing.fields import IMPORT_COLUMNS, details_from
from ..text import search_key
from ..web.forms import ExtraValidators, SignatureForm, single_line
from . import audit

COLUMNS = IMPORT_COLUMNS
FALSE_VALUES = ("false", "", "no", "n", "0", "off")


class ImportRowForm(SignatureForm):
    """The sign form's rules, relaxed where offline lists differ: organisations may come without a
    contact person or address, and yes/no columns read like a spreadsheet writes them."""

    name = StringField(filters=[single_line], validators=[Optional(), Length(max=200)])
    email = EmailField(filters=[single_line], validators=[Optional(), Length(max=254)])
    consent_publish = BooleanField(false_values=FALSE_VALUES)
    consent_updates = BooleanField(false_values=FALSE_VALUES)
    drafter = BooleanField(false_values=FALSE_VALUES)

    def validate(self, extra_validators: ExtraValidators | None = None) -> bool:
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
    if view is None:
        raise CsvImportError(f"{letter.slug}: the letter's text is not loaded (flask --app wsgi letters load).")
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
            address_hash = rows.email_hash(form.validated_email) if form.validated_email else None
            same = [Signature.import_key == key] + ([Signature.email_hash == address_hash] if address_hash else [])
            duplicate = db.session.scalar(select(Signature.id).where(Signature.letter_id == letter.id, or_(*same)))
            if duplicate is not None:
                report.already_present += 1
                continue
            values = rows.signature_row(
                letter.id, details_from(form.data), status=SignatureStatus.PUBLISHED,
                language=letter.original_language, letter_version=view.text.version,
                source=f"import:{path.name}:{number}"[:300], now=utcnow(),
                address=rows.address_columns(form.validated_email), is_drafter=bool(form.drafter.data),
                import_key=key,
            )
            table = Signature.__table__
            inserted = db.session.execute(upsert(table).values(values).on_conflict_do_nothing()
                                          .returning(table.c.id)).scalar()
            if inserted is None:  # the same row imported at this very moment by someone else
                db.session.rollback()
                report.already_present += 1
                continue
            signature = db.session.get_one(Signature, inserted)
            counts.count_published(signature)
            audit.record(None, actor_label, "signature.imported", "signature", signature.id,
                         after={"source": signature.source})
            db.session.commit()
            report.imported += 1
    return report
