"""Coalition partners: registered here, credited with the signatures that came through their
links (``publication.partners``), each given a private page of its own counts.

A partner's private link is shown once, on the page an action redirects to (it rides in the
admin's session until then): reloading that page never makes another link. Replacing or revoking
a link asks first, since the link the partner holds stops working at once."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from ... import letters
from ...publication import partners
from ...web import i18n, parameters
from ...web.forms import ButtonForm, PartnerForm
from .. import errors
from . import admin_required, bp

NEW_LINK = "partner_new_link"


@bp.errorhandler(partners.UnknownPartner)
def _unknown(error: partners.UnknownPartner) -> ResponseReturnValue:
    return errors.render_error(NotFound())


def _page(form: PartnerForm, status: int = 200) -> ResponseReturnValue:
    """Every partner with its counts for one letter (``?letter=<slug>``, else the featured one)."""
    every_letter = letters.all_letters()
    letter = letters.find_letter(parameters.lenient_choice(request.args, "letter", [found.slug for found in every_letter]))
    if letter is None:
        abort(404)
    language = i18n.current_language()
    view = letters.letter_in_language(letter, language)
    return render_template(
        "admin/partners.html", form=form, letter=letter, letters=every_letter, totals=partners.totals(letter.id),
        new_link=session.pop(NEW_LINK, None), title=view.text.title if view else letter.slug,
        letter_url=i18n.absolute_url("letter.page", lang=language, slug=letter.slug),
        embed_url=i18n.absolute_url("embed_sign.sign", slug=letter.slug, lang=language),
        allowed_origins=current_app.config["EMBED_ALLOWED_ORIGINS"],
    ), status


def _show_once(name: str, token: str) -> ResponseReturnValue:
    session[NEW_LINK] = (name, i18n.absolute_url("partner_page.page", lang=i18n.current_language(), token=token))
    return redirect(url_for(".partners_page"), 303)


@bp.get("/partners")
@admin_required
def partners_page() -> ResponseReturnValue:
    return _page(PartnerForm(formdata=None))


@bp.post("/partners")
@admin_required
def partner_create() -> ResponseReturnValue:
    form = PartnerForm()
    if not form.validate():
        return _page(form, 422)
    try:
        partner, token = partners.create(form.name.data, form.code.data, current_user.user)
    except partners.PartnerCodeTaken:
        form.code.errors.append(_("Another partner has this code already. Choose another."))
        return _page(form, 422)
    return _show_once(partner.name, token)


@bp.route("/partners/<id:partner_id>/link", methods=["GET", "POST"])
@admin_required
def partner_new_link(partner_id: int) -> ResponseReturnValue:
    partner = partners.get(partner_id)
    form = ButtonForm()
    if request.method == "POST" and form.validate():
        return _show_once(partner.name, partners.new_page_link(partner_id, current_user.user))
    return render_template("admin/partner_link.html", partner=partner, form=form, revoke=False)


@bp.route("/partners/<id:partner_id>/revoke", methods=["GET", "POST"])
@admin_required
def partner_revoke_link(partner_id: int) -> ResponseReturnValue:
    partner = partners.get(partner_id)
    form = ButtonForm()
    if request.method == "POST" and form.validate():
        partners.revoke_page_link(partner_id, current_user.user)
        flash(_("The partner's page link no longer works. Make a new one to give it its counts again."))
        return redirect(url_for(".partners_page"), 303)
    return render_template("admin/partner_link.html", partner=partner, form=form, revoke=True)
