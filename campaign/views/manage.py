"""The signer's own page, reached from the "manage" link in any email they received."""

from __future__ import annotations

import json

from flask import Response, g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from .. import letters
from ..models import Signature, SignatureKind, SignatureStatus
from ..publication import snapshots
from ..signing import self_service
from ..signing.fields import EDITABLE
from ..signing.tokens import TokenExpired, TokenInvalid
from ..web.forms import ButtonForm, EditSignatureForm
from ..web.headers import private_response
from . import labels, letter_route, private_page, reader_blueprint, scope_to_letter_of
from .sign import link_expired, link_invalid

bp = reader_blueprint("manage", __name__)
bp.register_error_handler(TokenInvalid, link_invalid)
bp.register_error_handler(TokenExpired, link_expired)


def _signature(token: str) -> Signature:
    signature = self_service.signature_for(token)
    scope_to_letter_of(signature)
    return signature


@letter_route(bp, "/sign/manage/<token:token>", methods=["GET", "POST"])
def page(token: str) -> ResponseReturnValue:
    signature = _signature(token)
    form = EditSignatureForm(obj=signature, kind=signature.kind)
    if request.method == "POST" and form.validate():
        changed = self_service.update_details(token, {name: getattr(form, name).data for name in EDITABLE})
        return redirect(url_for(".page", token=token, saved="review" if changed else "same"), 303)
    letter = self_service.letter_of(signature)
    view = letters.letter_in_language(letter, g.lang) if letter else None
    proof_ready = letter is not None and snapshots.has_proof(letter, signature.public_id)
    return private_page("public/manage.html", 422 if request.method == "POST" else 200, signature=signature,
                        form=form, button_form=ButtonForm(), items=labels.signer_data(signature), view=view,
                        saved=request.args.get("saved"), is_organisation=signature.kind is SignatureKind.ORGANISATION,
                        set_aside=self_service.correction_set_aside(signature),
                        proof_ready=proof_ready,
                        proof_coming=not proof_ready and letter is not None and signature.status is SignatureStatus.PUBLISHED
                        and snapshots.latest(letter.id) is not None)


@letter_route(bp, "/sign/manage/<token:token>/proof.json")
def proof(token: str) -> ResponseReturnValue:
    """The signer's inclusion proof in the latest snapshot, to check with ``tools/verify_snapshot.py``."""
    signature = _signature(token)
    letter = self_service.letter_of(signature)
    try:
        found = snapshots.proof(letter, signature.public_id) if letter else None
    except snapshots.NoProof:
        found = None
    if found is None:  # not in a snapshot (yet, or any more): the signer's page says which, and when
        return redirect(url_for(".page", token=token), 303)
    response = Response(json.dumps(found.document, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-signature-proof.json"'
    return private_response(response)


@letter_route(bp, "/sign/manage/<token:token>/data.json")
def data(token: str) -> ResponseReturnValue:
    body = json.dumps(self_service.personal_data(_signature(token)), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-signature.json"'
    return private_response(response)


@letter_route(bp, "/sign/manage/<token:token>/naming", methods=["POST"])
def naming(token: str) -> ResponseReturnValue:
    signature = _signature(token)
    if ButtonForm().validate():
        try:
            self_service.set_named(token, not signature.consent_publish)
        except self_service.SelfServiceError:
            pass
    return redirect(url_for(".page", token=token), 303)


@letter_route(bp, "/sign/manage/<token:token>/news", methods=["POST"])
def news(token: str) -> ResponseReturnValue:
    signature = _signature(token)
    if ButtonForm().validate():
        self_service.set_updates(token, not signature.consent_updates)
    return redirect(url_for(".page", token=token), 303)


@letter_route(bp, "/sign/manage/<token:token>/withdraw", methods=["GET", "POST"])
def withdraw(token: str) -> ResponseReturnValue:
    """Withdrawing cannot be undone: the manage page's button leads here, to say what goes and ask
    once more (the same page as the emailed withdraw link's); only this page's button withdraws."""
    signature = _signature(token)
    form = ButtonForm()
    if request.method == "POST" and form.validate():
        self_service.withdraw(token)
        return redirect(url_for("sign.withdrawn"), 303)
    return private_page("public/withdraw.html", form=form, signature=signature,
                        back=url_for(".page", token=token))
