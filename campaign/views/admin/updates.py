"""Campaign updates in the browser: write one per letter in its languages, preview each as the
email reads (text and HTML), send a test to oneself, ask for approval, approve another admin's.
Sending is not here: ``flask updates send`` runs where the private key lives (``mail.updates``)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ... import letters
from ...extensions import db
from ...mail import updates
from ...models import Letter, Update, UpdateStatus
from ...web import i18n, parameters
from ...web.forms import ButtonForm, UpdateTextForm
from ...web.headers import CONTENT_SECURITY_POLICY
from . import admin_required, bp

#: The email's HTML in the preview frame: its inline styles and nothing else, no script, no request.
PREVIEW_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"


def _update(update_id: int) -> Update:
    update = db.session.get(Update, update_id)
    if update is None:
        abort(404)
    return update


def _language(code: str) -> str:
    if code not in i18n.supported_codes():
        abort(404)
    return code


@bp.get("/updates")
@admin_required
def updates_page() -> ResponseReturnValue:
    every_letter = letters.all_letters()
    letter = letters.find_letter(parameters.lenient_choice(request.args, "letter", [found.slug for found in every_letter]))
    if letter is None:
        abort(404)
    found = db.session.scalars(db.select(Update).where(Update.letter_id == letter.id).order_by(Update.id.desc())).all()
    return render_template("admin/updates.html", letter=letter, letters=every_letter, updates=found, form=ButtonForm())


@bp.post("/updates")
@admin_required
def update_create() -> ResponseReturnValue:
    slugs = [found.slug for found in letters.all_letters()]
    letter = letters.find_letter(parameters.lenient_choice(request.form, "letter", slugs))
    if letter is None or not ButtonForm().validate():
        abort(400)
    update = updates.create(letter, current_user.user)
    return redirect(url_for(".update_edit", update_id=update.id, language=letter.original_language), 303)


@bp.get("/updates/<id:update_id>")
@admin_required
def update_page(update_id: int) -> ResponseReturnValue:
    update = _update(update_id)
    letter = db.session.get(Letter, update.letter_id)
    assert letter is not None
    previews = []
    for text in update.texts:
        subject, body_text, _html = updates.preview(update, text.language)
        previews.append((text.language, subject, body_text))
    missing = [code for code in i18n.supported_codes() if code not in {text.language for text in update.texts}]
    response = render_template(
        "admin/update.html", update=update, letter=letter, previews=previews, missing=missing, form=ButtonForm(),
        delivered=updates.delivered_count(update),
        may_approve=update.status is UpdateStatus.AWAITING and not updates.wrote(update, current_user.user),
        fallback=update.language or letter.original_language,
    )
    return response, 200, {"Content-Security-Policy": CONTENT_SECURITY_POLICY + "; frame-src 'self'"}


@bp.get("/updates/<id:update_id>/preview/<language>")
@admin_required
def update_preview(update_id: int, language: str) -> ResponseReturnValue:
    """The email's HTML alone, for the preview frame (sandboxed, styles only)."""
    _subject, _text, html = updates.preview(_update(update_id), _language(language))
    return html, 200, {"Content-Security-Policy": PREVIEW_POLICY}


@bp.route("/updates/<id:update_id>/<language>", methods=["GET", "POST"])
@admin_required
def update_edit(update_id: int, language: str) -> ResponseReturnValue:
    update = _update(update_id)
    language = _language(language)
    if not update.is_editable and request.method == "GET":
        flash(_("An approved update can no longer be changed: delete it and write it again."))
        return redirect(url_for(".update_page", update_id=update.id), 303)
    text = next((text for text in update.texts if text.language == language), None)
    form = UpdateTextForm(obj=text)
    if request.method == "POST" and form.validate():
        try:
            updates.save_text(update, language, form.subject.data, form.body.data, current_user.user)
        except updates.ForeignLink as error:  # refused: the form comes back as it was sent, with why
            form[error.field].errors = [str(error)]
        except updates.UpdateError as error:
            form.form_errors.append(str(error))
        else:
            return redirect(url_for(".update_page", update_id=update.id), 303)
    letter = db.session.get(Letter, update.letter_id)
    path = url_for("timeline.page", lang=language, slug=letter.slug) if letter else "/"
    example = Markup('<code dir="ltr" class="ltr-box">[…]({})</code>').format(path)
    return render_template("admin/update_edit.html", update=update, language=language, form=form, link_example=example,
                           language_label=i18n.language_name(language)), 422 if request.method == "POST" else 200


def _step(update_id: int, step: str) -> ResponseReturnValue:
    update = _update(update_id)
    if not ButtonForm().validate():
        abort(400)
    action = {"test": updates.send_test, "ask": updates.ask_approval, "approve": updates.approve}[step]
    try:
        action(update, current_user.user)
    except updates.UpdateError as error:
        flash(str(error))
    else:
        flash({"test": _("A test of each language is on its way to your address."),
               "ask": _("The update awaits another admin's approval."),
               "approve": _("Approved. Send it where the private key is: %(command)s",
                            command=f"flask --app wsgi updates send {update.id} --private-key FILE")}[step])
    return redirect(url_for(".update_page", update_id=update.id), 303)


@bp.post("/updates/<id:update_id>/test")
@admin_required
def update_test(update_id: int) -> ResponseReturnValue:
    return _step(update_id, "test")


@bp.post("/updates/<id:update_id>/ask")
@admin_required
def update_ask(update_id: int) -> ResponseReturnValue:
    return _step(update_id, "ask")


@bp.post("/updates/<id:update_id>/approve")
@admin_required
def update_approve(update_id: int) -> ResponseReturnValue:
    return _step(update_id, "approve")


@bp.get("/updates/<id:update_id>/delete")
@admin_required
def update_delete_confirm(update_id: int) -> ResponseReturnValue:
    """Asks first, on a page that changes nothing."""
    update = _update(update_id)
    return render_template("admin/delete_update.html", update=update, form=ButtonForm(),
                           letter=db.session.get(Letter, update.letter_id))


@bp.post("/updates/<id:update_id>/delete")
@admin_required
def update_delete(update_id: int) -> ResponseReturnValue:
    update = _update(update_id)
    if not ButtonForm().validate():
        abort(400)
    slug = db.session.get(Letter, update.letter_id).slug  # type: ignore[union-attr]
    try:
        updates.discard(update, current_user.user)
    except updates.UpdateError as error:
        flash(str(error))
        return redirect(url_for(".update_page", update_id=update_id), 303)
    flash(_("The update was deleted."), "success")
    return redirect(url_for(".updates_page", letter=slug), 303)
