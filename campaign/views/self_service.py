"""The signer's own page, reached from the "manage" link in any email they received."""

from __future__ import annotations

import json

from flask import Response, current_app, g, make_response, redirect, render_template, request, url_for

from ..web import i18n
from .. import letters, privacy
from ..signing import self_service
from ..web.forms import ButtonForm, EditSignatureForm
from ..models import SignatureKind
from ..security import private_response, public_response
from . import private_page
from .public import bp


@bp.route("/sign/manage/<token:token>", methods=["GET", "POST"])
def manage(token: str):
    signature = self_service.signature_for(token)
    form = EditSignatureForm(obj=signature)
    if request.method == "POST" and form.validate():
        changed = self_service.update_details(token, {name: getattr(form, name).data for name in self_service.EDITABLE})
        return redirect(url_for(".manage", token=token, saved="review" if changed else "same"), 303)
    letter = self_service.letter_of(signature)
    view = letters.letter_in_language(letter, g.lang) if letter else None
    return private_page("public/manage.html", 422 if request.method == "POST" else 200, signature=signature, form=form,
                 button_form=ButtonForm(), data=self_service.personal_data(signature), view=view,
                 saved=request.args.get("saved"), is_organisation=signature.kind is SignatureKind.ORGANISATION)


@bp.get("/sign/manage/<token:token>/data.json")
def manage_data(token: str):
    signature = self_service.signature_for(token)
    body = json.dumps(self_service.personal_data(signature), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-signature.json"'
    return private_response(response)


@bp.post("/sign/manage/<token:token>/naming")
def manage_naming(token: str):
    signature = self_service.signature_for(token)
    if ButtonForm().validate():
        try:
            self_service.set_named(token, not signature.consent_publish)
        except self_service.SelfServiceError:
            pass
    return redirect(url_for(".manage", token=token), 303)


@bp.post("/sign/manage/<token:token>/news")
def manage_news(token: str):
    signature = self_service.signature_for(token)
    if ButtonForm().validate():
        self_service.set_updates(token, not signature.consent_updates)
    return redirect(url_for(".manage", token=token), 303)


@bp.post("/sign/manage/<token:token>/withdraw")
def manage_withdraw(token: str):
    self_service.signature_for(token)
    if ButtonForm().validate():
        self_service.withdraw(token)
        return redirect(url_for(".withdrawn"), 303)
    return redirect(url_for(".manage", token=token), 303)


@bp.get("/privacy")
def privacy_page():
    letter = letters.featured_letter(current_app.config["FEATURED_LETTER"])
    contact = current_app.config["PRIVACY_CONTACT"] or (letter.contact if letter else None)
    return public_response(make_response(render_template(
        "public/privacy.html", periods=privacy.RetentionPeriods.from_config(), contact=contact,
        sign_url=i18n.absolute_url("public.sign", lang=g.lang),
    )))


@bp.get("/accessibility")
def accessibility_page():
    return public_response(make_response(render_template("public/accessibility.html")))
