"""Coalition partners: registered here, credited with the signatures that came through their
links (``publication.partners``), each given a private page of its own counts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
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


def _page(form: PartnerForm, status: int = 200, new_link: tuple[str, str] | None = None) -> ResponseReturnValue:
    """Every partner with its counts for one letter (``?letter=<slug>``, else the featured one)."""
    every_letter = letters.all_letters()
    letter = letters.find_letter(parameters.lenient_choice(request.args, "letter", [found.slug for found in every_letter]))
    if letter is None:
        abort(404)
    site = i18n.absolute_url("letter.page", lang=i18n.current_language(), slug=letter.slug)
    return render_template(
        "admin/partners.html", form=form, button=ButtonForm(), letter=letter, letters=every_letter,
        totals=partners.totals(letter.id), new_link=new_link, letter_url=site,
        embed_url=i18n.absolute_url("embed.sign", slug=letter.slug, lang=i18n.current_language()),
    ), status


@bp.errorhandler(partners.UnknownPartner)
def _unknown(error: partners.UnknownPartner) -> ResponseReturnValue:
    return errors.render_error(NotFound())


def _page_link(token: str) -> str:
    return i18n.absolute_url("partner_page.page", lang=i18n.current_language(), token=token)


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
    return _page(PartnerForm(formdata=None), 201, (partner.name, _page_link(token)))


@bp.post("/partners/<id:partner_id>/link")
@admin_required
def partner_new_link(partner_id: int) -> ResponseReturnValue:
    if not ButtonForm().validate():
        abort(400)
    token = partners.new_page_link(partner_id, current_user.user)
    partner = partners.get(partner_id)
    return _page(PartnerForm(formdata=None), 200, (partner.name, _page_link(token)))


@bp.post("/partners/<id:partner_id>/revoke")
@admin_required
def partner_revoke_link(partner_id: int) -> ResponseReturnValue:
    if not ButtonForm().validate():
        abort(400)
    partners.revoke_page_link(partner_id, current_user.user)
    flash(_("The partner's page link no longer works. Make a new one to give it its counts again."))
    return redirect(url_for(".partners_page"), 303)
