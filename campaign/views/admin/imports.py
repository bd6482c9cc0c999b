"""Imports in the browser (admins): upload a CSV, see what it would add and what it refuses and
why, then confirm. The same import service and wording as ``flask signatures import``."""

from __future__ import annotations

import io

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ... import letters
from ...moderation import imports
from ...web import i18n
from ...web.forms import ImportConfirmForm, ImportForm
from ...web.letter_forms import UPLOAD_MEGABYTES
from .. import labels
from . import admin_required, bp

#: The pages that take an uploaded file: their bodies may be larger than a public form's.
UPLOAD_ENDPOINTS = frozenset({"admin.import_preview", "admin.import_commit"})


def allow_uploads() -> None:
    """Raise the body limit for the import pages only (registered before the CSRF check reads the body)."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]
    elif request.endpoint in ("admin.letter_event_add", "admin.letter_event_save"):  # a photo or a PDF, and words
        request.max_content_length = (UPLOAD_MEGABYTES + 1) * 1024 * 1024


def _letter_choices() -> list[tuple[str, str]]:
    return [(letter.slug, labels.letter_title(letter)) for letter in letters.all_letters()]


def _form() -> ImportForm:
    form = ImportForm()
    form.letter.choices = _letter_choices()
    return form


def _confirm_form() -> ImportConfirmForm:
    form = ImportConfirmForm()
    form.letter.choices = _letter_choices()
    return form


@bp.get("/import")
@admin_required
def import_page() -> ResponseReturnValue:
    return render_template("admin/import.html", form=_form(), report=None)


def _run(content: str, source_name: str, slug: str, commit: bool) -> imports.ImportReport:
    letter = letters.find_letter(slug)
    if letter is None:
        raise imports.CsvImportError(slug)
    return imports.import_rows(io.StringIO(content, newline=""), source_name, letter, current_user.email,
                               commit=commit, language=i18n.current_language())


@bp.post("/import")
@admin_required
def import_preview() -> ResponseReturnValue:
    """What the uploaded file would do: nothing is stored yet."""
    form = _form()
    if not form.validate() or form.file.data is None:
        return render_template("admin/import.html", form=form, report=None), 422
    upload = form.file.data
    try:
        content = upload.read().decode("utf-8-sig")
        report = _run(content, upload.filename or "upload.csv", form.letter.data, commit=False)
    except (UnicodeDecodeError, imports.CsvImportError) as error:
        form.file.errors = [str(error) if isinstance(error, imports.CsvImportError) else
                            _("The file is not UTF-8 text: save it from the spreadsheet as CSV UTF-8.")]
        return render_template("admin/import.html", form=form, report=None), 422
    confirm = _confirm_form()
    confirm.letter.data, confirm.content.data = form.letter.data, content
    confirm.source_name.data = (upload.filename or "upload.csv")[:200]
    return render_template("admin/import.html", form=form, report=report, confirm=confirm, committed=False)


@bp.post("/import/confirm")
@admin_required
def import_commit() -> ResponseReturnValue:
    """Store what the preview showed (checked again: importing twice adds nothing)."""
    confirm = _confirm_form()
    if not confirm.validate():
        return render_template("admin/import.html", form=_form(), report=None), 422
    try:
        report = _run(confirm.content.data or "", confirm.source_name.data or "upload.csv", confirm.letter.data,
                      commit=True)
    except imports.CsvImportError as error:
        form = _form()
        form.file.errors = [str(error)]
        return render_template("admin/import.html", form=form, report=None), 422
    return render_template("admin/import.html", form=_form(), report=report, committed=True)
