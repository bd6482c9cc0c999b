"""Loading signatories gathered offline (drafting organisations, launch endorsers) from CSV.

Each row is validated with the sign form's own rules; valid rows are stored as verified and
published, with the file and row they came from. Importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import Length, Optional, ValidationError

from .. import letters
from ..crypto import keyed_hash
from ..extensions import db, upsert
from ..models import Letter, Signature, SignatureStatus, utcnow
from ..publication import counts
from ..signing import rows
from ..signing.fields import IMPORT_COLUMNS, details_from
from ..text import search_key
from ..web import i18n
from ..web.forms import ExtraValidators, SignatureForm, single_line
from . import audit

COLUMNS = IMPORT_COLUMNS
YES = frozenset({"yes", "y", "true", "1", "on"})
NO = frozenset({"no", "n", "false", "0", "off", ""})


class YesNoField(BooleanField):
    """A yes/no column as a spreadsheet writes it (any case): yes, y, true, 1, on; no, n, false, 0,
    off or empty. Anything else is refused, never read as yes: "NO", "nein" or "لا" once published
    the names of people who had said no."""

    def process_formdata(self, valuelist: list) -> None:
        self.typed = str(valuelist[0]) if valuelist else ""
        self.data = self.typed.strip().lower() in YES

    def pre_validate(self, form: object) -> None:
        if self.typed.strip().lower() not in YES | NO:
            raise ValidationError(_("'%(value)s' is neither yes nor no: write yes or no (or true/false, 1/0).",
                               value=self.typed))

    typed = ""


class ImportRowForm(SignatureForm):
    """The sign form's rules, relaxed where offline lists differ: organisations may come without a
    contact person or address, and yes/no columns read like a spreadsheet writes them."""

    name = StringField(filters=[single_line], validators=[Optional(), Length(max=200)])
    email = EmailField(filters=[single_line], validators=[Optional(), Length(max=254)])
    consent_publish = YesNoField()
    consent_updates = YesNoField()
    drafter = YesNoField()

    def validate(self, extra_validators: ExtraValidators | None = None) -> bool:
        valid = super().validate(extra_validators)
        if self.kind.data == "individual" and not self.name.data:
            self.name.errors.append(_("An individual needs a name."))
            valid = False
        if self.country.errors:  # a file names its country by code, not from the form's list
            typed = self.country.data or ""
            guess = i18n.guess_country(typed) if typed else None
            self.country.errors[:] = [
                _("'%(value)s' is not an ISO 3166 country code; did you mean %(code)s?", value=typed, code=guess)
                if guess else _("'%(value)s' is not an ISO 3166 country code, such as FR or BR.", value=typed)
            ]
        return valid


class CsvImportError(Exception):
    """The file as a whole cannot be imported (missing columns, unknown letter)."""


class RowFate(enum.Enum):
    ADDED = "added"
    PRESENT = "present"
    REFUSED = "refused"


@dataclass(frozen=True)
class RowOutcome:
    """What becomes of one row of the file: added, already present, or refused and why."""

    number: int
    fate: RowFate
    kind: str
    label: str
    country: str
    problems: tuple[tuple[str, str], ...] = ()  # (column, what was expected)


@dataclass
class ImportReport:
    rows: list[RowOutcome] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(1 for row in self.rows if row.fate is RowFate.ADDED)

    @property
    def already_present(self) -> int:
        return sum(1 for row in self.rows if row.fate is RowFate.PRESENT)

    @property
    def refused(self) -> list[RowOutcome]:
        return [row for row in self.rows if row.fate is RowFate.REFUSED]


def _import_key(form: ImportRowForm) -> str:
    identity = "|".join([form.kind.data, search_key(form.organisation.data), search_key(form.name.data),
                         form.country.data])
    return keyed_hash(current_app.config["EMAIL_HASH_KEY"], "import:" + identity)


def import_csv(path: Path, letter: Letter, actor_label: str = "cli") -> ImportReport:
    """Import a file from disk (the command line), reasons in English."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return import_rows(handle, path.name, letter, actor_label, commit=True, language="en")


def import_rows(lines: Iterable[str], source_name: str, letter: Letter, actor_label: str, *, commit: bool,
                language: str) -> ImportReport:
    """Validate every row with the sign form's rules and, when ``commit``, store the new ones as
    published (idempotent: a row already imported, or an address already signed, is left alone).
    Without ``commit`` nothing is written: the report is the preview of what committing would do.
    Refusals are given in ``language``, each as the column and what was expected there."""
    view = letters.letter_in_language(letter, letter.original_language)
    if view is None:
        raise CsvImportError(f"{letter.slug}: the letter's text is not loaded (flask --app wsgi letters load).")
    report = ImportReport()
    reader = csv.DictReader(lines)
    missing = {"kind", "country"} - set(reader.fieldnames or [])
    if missing:
        raise CsvImportError(f"{source_name}: missing column(s): {', '.join(sorted(missing))}")
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        data = MultiDict({key: (value or "").strip() for key, value in row.items() if key in COLUMNS})
        label = data.get("organisation") or data.get("name") or ""
        with force_locale(i18n.describe(language).babel_locale):
            form = ImportRowForm(formdata=data, meta={"csrf": False})
            if not form.validate():
                problems = tuple((name, str(message)) for name, errors in form.errors.items() for message in errors)
                report.rows.append(RowOutcome(number, RowFate.REFUSED, data.get("kind", ""), label,
                                              data.get("country", ""), problems))
                continue
        key = _import_key(form)
        fate = _add(form, key, letter, view.text.version, f"import:{source_name}:{number}", actor_label) \
            if commit else (RowFate.PRESENT if key in seen or _present(form, key, letter) else RowFate.ADDED)
        seen.add(key)
        report.rows.append(RowOutcome(number, fate, form.kind.data, label, form.country.data))
    return report


def _present(form: ImportRowForm, key: str, letter: Letter) -> bool:
    """Whether this row was imported before, or its address has signed the letter already."""
    address_hash = rows.email_hash(form.validated_email) if form.validated_email else None
    same = [Signature.import_key == key] + ([Signature.email_hash == address_hash] if address_hash else [])
    return db.session.scalar(select(Signature.id).where(Signature.letter_id == letter.id, or_(*same))) is not None


def _add(form: ImportRowForm, key: str, letter: Letter, version: str, source: str, actor_label: str) -> RowFate:
    """Store one valid row as a published signature, with its audit entry, in its own transaction."""
    if _present(form, key, letter):
        return RowFate.PRESENT
    values = rows.signature_row(
        letter.id, details_from(form.data), status=SignatureStatus.PUBLISHED,
        language=letter.original_language, letter_version=version, source=source[:300], now=utcnow(),
        address=rows.address_columns(form.validated_email), is_drafter=bool(form.drafter.data), import_key=key,
    )
    table = Signature.__table__
    inserted = db.session.execute(upsert(table).values(values).on_conflict_do_nothing().returning(table.c.id)).scalar()
    if inserted is None:  # the same row imported at this very moment by someone else
        db.session.rollback()
        return RowFate.PRESENT
    signature = db.session.get_one(Signature, inserted)
    counts.count_published(signature)
    audit.record(None, actor_label, "signature.imported", "signature", signature.id, after={"source": signature.source})
    db.session.commit()
    return RowFate.ADDED
