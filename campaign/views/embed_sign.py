"""The sign form partner sites frame (``/embed/<slug>/sign?lang=xx``), for the origins the operator
allows (``EMBED_ALLOWED_ORIGINS``).

It completes the flow without a cookie: browsers that block third-party cookies would drop one,
and a reader of a partner's page should not get ours. So its token is the form's signed time stamp
(see ``forms.embedded_signature_form``), and "check your inbox" is the answer to the post itself,
carrying what the person typed in its own hidden fields instead of in a session. Confirm links
open on our site, as every emailed link does. Links from here to other pages of ours open in a new
tab: those pages refuse to be framed.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from .. import letters
from ..extensions import csrf
from ..lifecycle import closing
from ..publication import partners
from ..signing import rules
from ..signing.fields import details_from
from ..web import i18n, limits, parameters
from ..web.forms import EmailForm, SignatureForm, embedded_signature_form
from ..web.headers import allow_framing, private_response
from . import current_view, errors, signing_now
from .sign import REPLACES, replaced_signature, submission_fields

#: Beside the counter under ``/embed/``; its own blueprint, so its 429 page is its own.
bp = Blueprint("embed_sign", __name__, url_prefix="/embed")


def _framed(template: str, status: int = 200, **context: object) -> Response:
    """A page for one person, framable by the allowed origins only, stored by no cache."""
    response = make_response(render_template(template, action=url_for(".sign", slug=g.letter_slug, lang=g.lang),
                                             **context), status)
    return allow_framing(private_response(response), current_app.config["EMBED_ALLOWED_ORIGINS"])


def _scope(slug: str) -> letters.LetterView:
    """The letter and language of this request (``?lang=``, else the browser's), as reader pages have them."""
    g.lang = parameters.lenient_choice(request.args, "lang", i18n.supported_codes()) or i18n.negotiate()
    g.letter_slug = slug
    return current_view()


def _form_page(view: letters.LetterView, form: SignatureForm, status: int = 200, notice: str | None = None,
               retry_minutes: int | None = None) -> Response:
    return _framed("embed/sign.html", status, view=view, form=form, notice=notice, retry_minutes=retry_minutes,
                   signing=signing_now(view.letter))


def _not_signing(view: letters.LetterView, signing: closing.Signing) -> Response:
    """The frame when the letter takes no signature: closed (410, as the site's closed page) or
    paused (503); a post is told that nothing it sent was stored."""
    return _framed("embed/sign.html", 410 if signing.closed_at else 503, view=view, form=None, signing=signing,
                   posted=request.method == "POST")


def _check_inbox(view: letters.LetterView, submitted: dict[str, str] | None, sent_again: bool = False) -> Response:
    return _framed("embed/check_inbox.html", view=view, submitted=submitted, sent_again=sent_again,
                   hours=current_app.config["CONFIRM_TOKEN_HOURS"],
                   send_again_action=url_for(".send_again", slug=g.letter_slug, lang=g.lang))


@bp.route("/<slug:slug>/sign", methods=["GET", "POST"])
@csrf.exempt  # its token is the signed form stamp, bound to this form (no session)
def sign(slug: str) -> ResponseReturnValue:
    view = _scope(slug)
    signing = signing_now(view.letter)
    if not signing.open:
        return _not_signing(view, signing)
    if request.method == "GET":
        form = embedded_signature_form(slug)
        form.via.data = parameters.partner_code(request.args.get("via")) or ""
        return _form_page(view, form)
    submitted = embedded_signature_form(slug)
    if request.form.get("correct"):  # "Wrong address? Correct it": the form again, as it was sent
        submitted.restamp(typed_already=True)
        return _form_page(view, submitted)
    if submitted.is_trap():
        return _check_inbox(view, None)
    problem = submitted.stamp_problem()
    if problem:
        submitted.restamp()
        return _form_page(view, submitted, 422, problem)
    if submitted.came_back_too_fast():
        return _form_page(view, submitted, 422, "too-fast")
    if not submitted.validate() or submitted.validated_email is None:
        return _form_page(view, submitted, 422)
    try:
        new_signature = rules.submit_signature(view, g.lang, details_from(submitted.data), submitted.validated_email,
                                               request.remote_addr, source="embed",
                                               partner_id=partners.partner_id_for(submitted.via.data))
    except rules.SigningPaused:
        return _not_signing(view, closing.Signing(paused=True))
    except closing.SigningClosed as closed:  # it closed between the check above and the write
        return _not_signing(view, closing.Signing(closed_at=closed.closed_at))
    replaced = replaced_signature(parameters.sealed(request.form, REPLACES))
    if replaced:
        rules.drop_mistyped(view, replaced, submitted.validated_email, details_from(submitted.data))
    return _check_inbox(view, submission_fields(request.form, new_signature))


@bp.post("/<slug:slug>/sign/send-again")
@csrf.exempt
def send_again(slug: str) -> ResponseReturnValue:
    """The email again, to the address just used (same pause and cap as on the site)."""
    view = _scope(slug)
    form = EmailForm(meta={"csrf": False})
    if form.validate() and form.validated_email is not None:
        rules.send_again(view, g.lang, form.validated_email)
    return _check_inbox(view, submission_fields(request.form), sent_again=True)


@bp.errorhandler(429)
def too_many(error: HTTPException) -> ResponseReturnValue:
    """Over the limit from one network: the form comes back filled in, as on the site."""
    slug = (request.view_args or {}).get("slug")
    if request.endpoint != "embed_sign.sign" or slug is None:
        return errors.render_error(error)
    view = _scope(slug)
    retry = limits.retry_after()
    return retry.stamp(_form_page(view, embedded_signature_form(slug), 429, "too-many", retry.minutes))
