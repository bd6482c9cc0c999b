"""Signing a letter: the form, and the pages its emailed links open (confirm, withdraw, "it wasn't
me") with their answers. Every page lives under its letter (see ``letter_route``)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from flask import Response, current_app, g, make_response, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from .. import crypto
from ..extensions import csrf
from ..letters import LetterView
from ..lifecycle import closing
from ..models import SignatureStatus, TokenPurpose, utcnow
from ..publication import counts, partners, sharing
from ..signing import rules
from ..signing.fields import FORM_CONTRACT, details_from
from ..signing.tokens import TokenExpired, TokenInvalid, find_token
from ..web import caches, i18n, limits, parameters, skeletons
from ..web.forms import ButtonForm, EmailForm, SignatureForm, site_signature_form
from ..web.headers import private_response
from . import (
    current_view,
    errors,
    letter_route,
    private_page,
    reader_blueprint,
    scope_to_letter_of,
    signing_at,
    signing_now,
)
from .letter import shared_page_response

bp = reader_blueprint("sign", __name__)
SUBMITTED_KEY = "just_submitted"
REPLACES = "replaces"


def _blank_form_page(view: LetterView) -> Response:
    """The empty sign form: the same for every reader (no session, no cookie; its time stamp is the
    page's, see ``forms.site_signature_form``), rendered once per letter, language and cache period
    with slots for the partner's code, and replayed before Flask like the letter page. On launch day
    the form was a third of each signature's cost for the app (BENCHMARKS.md)."""
    key = caches.sign_form_key(g.letter_slug, g.lang)
    skeleton = caches.get(key)
    if skeleton is None:
        form = site_signature_form(view.letter.slug)
        form.via.data = skeletons.slot("via")
        skeleton = caches.put(key, render_template("public/sign.html", view=view, form=form, failed=False,
                                                   via_query=skeletons.slot("via_query")),
                              current_app.config["LETTER_PAGE_CACHE_SECONDS"])
    via = parameters.partner_code(request.args.get("via")) or ""
    return shared_page_response(key, skeletons.fill(skeleton, {"via": via, "via_query": f"?via={via}" if via else ""},
                                                    html=True))


@letter_route(bp, "/sign", methods=["GET", "POST"])
@csrf.exempt  # the form's token is its time stamp: a stale one gets the form back, not a bare 400
def form() -> ResponseReturnValue:
    view = current_view()
    signing = signing_now(view.letter)
    if signing.closed_at is not None:
        return _closed_page(signing.closed_at)
    if signing.paused:
        return private_page("public/sign_paused.html", 503, view=view)
    if request.method == "GET":
        return _blank_form_page(view)
    submitted = site_signature_form(view.letter.slug)
    if submitted.is_trap():
        return redirect(url_for(".check_inbox"), 303)
    problem = submitted.stamp_problem()
    if problem:
        submitted.restamp()
        return _form_again(view, submitted, problem)
    if submitted.came_back_too_fast():
        return _form_again(view, submitted, "too-fast")
    if submitted.validate() and submitted.validated_email is not None:
        try:
            new_signature = rules.submit_signature(view, g.lang, details_from(submitted.data),
                                                   submitted.validated_email, request.remote_addr,
                                                   partner_id=partners.partner_id_for(submitted.via.data))
        except rules.SigningPaused:
            return private_page("public/sign_paused.html", 503, view=view)
        except closing.SigningClosed as closed:
            return _closed_page(closed.closed_at)
        replaced = replaced_signature(parameters.sealed(request.form, REPLACES))
        if replaced:
            rules.drop_mistyped(view, replaced, submitted.validated_email, details_from(submitted.data))
        _remember_submission(request.form, new_signature)
        return redirect(url_for(".check_inbox"), 303)
    return private_page("public/sign.html", 422, view=view, form=submitted, failed=True)


@bp.errorhandler(closing.SigningClosed)
def _closed(error: closing.SigningClosed) -> ResponseReturnValue:
    """A page of a closed letter that would have sent a new link (send again, renew)."""
    return _closed_page(error.closed_at)


def _closed_page(closed_at: dt.datetime) -> ResponseReturnValue:
    """Nothing was stored: the page says so, with when signing closed and where the letter went."""
    return private_page("public/sign_closed.html", 410, view=current_view(), closed_at=closed_at,
                        posted=request.method == "POST" and request.endpoint == "sign.form", links_form=_address_form(),
                        links_sent=request.args.get("links") == "sent")


def _form_again(view: LetterView, submitted: SignatureForm, notice: str, status: int = 422,
                retry: limits.RetryAfter | None = None) -> ResponseReturnValue:
    """The form as the person filled it in, with a word on why it came back: nothing typed is lost."""
    response = make_response(render_template("public/sign.html", view=view, form=submitted, failed=True,
                                             notice=notice, retry_minutes=retry.minutes if retry else None), status)
    return private_response(retry.stamp(response) if retry else response)


@bp.errorhandler(429)
def too_many(error: HTTPException) -> ResponseReturnValue:
    """Over the limit from one network (a launch event on one Wi-Fi): the form comes back filled in,
    with when to send it again; the other limited pages get the plain page."""
    if request.endpoint != "sign.form":
        return errors.render_error(error)
    view = current_view()
    return _form_again(view, site_signature_form(view.letter.slug), "too-many", 429, limits.retry_after())


def _remember_submission(typed: MultiDict[str, str], new_signature: int | None = None) -> None:
    """What the person typed, for the next page only (see ``submission_fields``). It rides in their
    own session cookie, sealed (see ``crypto.seal_for_the_browser``), is taken out by that page,
    and is never looked up, put in a URL or written to a log."""
    session[SUBMITTED_KEY] = crypto.seal_for_the_browser(current_app.config["SECRET_KEY"],
                                                         submission_fields(typed, new_signature))


def submission_fields(typed: MultiDict[str, str], new_signature: int | None = None) -> dict[str, str]:
    """What "check your inbox" needs of a submission: the address used, the rest of the form to go
    back and correct it, and a button to send the email again.

    With it goes ``replaces``: which signature this submission made, sealed, for "correct it" to
    take back if the address was mistyped (see ``rules.drop_mistyped``): the signature it made, or
    the waiting one it repeated. Every submission carries one of the same length, made or not (a
    repeat of a confirmed signature's is 0), so the page says nothing of the address."""
    fields = {name: typed.get(name, "") for name in FORM_CONTRACT if name != "started" and typed.get(name)}
    carried = parameters.sealed(typed, REPLACES)
    if new_signature is None and carried is not None and replaced_signature(carried) is not None:
        fields[REPLACES] = carried  # the email sent again: the signature it is about is the same
    else:
        fields[REPLACES] = crypto.seal_for_the_browser(current_app.config["SECRET_KEY"], {
            "signature": f"{new_signature or 0:020d}", "at": int(time.time())})
    return fields


def replaced_signature(sealed: str | None) -> int | None:
    """The signature a "correct it" form came from, while its confirm link could still be used."""
    if not sealed:
        return None
    opened = crypto.open_from_the_browser(current_app.config["SECRET_KEY"], sealed)
    number = str(opened.get("signature", "")) if opened else ""
    if not opened or not (number.isascii() and number.isdigit()) or not isinstance(opened.get("at"), int):
        return None
    if time.time() - opened["at"] > current_app.config["CONFIRM_TOKEN_HOURS"] * 3600:
        return None
    return int(opened["signature"])


@bp.errorhandler(TokenInvalid)
def link_invalid(error: TokenInvalid) -> ResponseReturnValue:
    """Every emailed link that is unknown, tampered with, or meant for another page."""
    return private_page("public/link_invalid.html", 404)


@bp.errorhandler(TokenExpired)
def link_expired(error: TokenExpired) -> ResponseReturnValue:
    """Every emailed link past its time (an expired confirm link gets its own page, below)."""
    return private_page("public/link_expired.html", 410, signing=signing_at(g.get("letter_slug")))


@letter_route(bp, "/sign/check-your-inbox")
def check_inbox() -> ResponseReturnValue:
    """The same page whoever the address belongs to; the person who just typed it sees it there."""
    submitted = crypto.open_from_the_browser(current_app.config["SECRET_KEY"], session.pop(SUBMITTED_KEY, None))
    replaces = submitted.pop(REPLACES, None) if submitted else None
    return private_page("public/check_inbox.html", hours=current_app.config["CONFIRM_TOKEN_HOURS"],
                        submitted=submitted, replaces=replaces, sent_again=request.args.get("again") == "1")


@letter_route(bp, "/sign/correct", methods=["GET", "POST"])
def correct() -> ResponseReturnValue:
    """Back to the form, filled in with what was sent (from the page's own hidden fields), to
    correct a typo: nothing is stored until it is sent again. A GET (the language switcher's link
    to this page in another language) gets the form in that language."""
    if request.method == "GET":
        return redirect(url_for(".form"), 303)
    view = current_view()
    if not ButtonForm().validate():
        return redirect(url_for(".form"), 303)
    filled = site_signature_form(view.letter.slug, formdata=request.form)
    filled.restamp(typed_already=True)
    return private_page("public/sign.html", view=view, form=filled, failed=False)


def _address_form() -> EmailForm:
    """The address to send the email (or the links) again to. No session-bound token: the closed
    sign page that asks for it is a reader's page and sets no cookie, and a post made by another
    site can do no more than anyone can, within the pause and the day's cap for that address."""
    return EmailForm(meta={"csrf": False})


@letter_route(bp, "/sign/send-again", methods=["GET", "POST"])
@csrf.exempt
def send_again() -> ResponseReturnValue:
    """Send the email again to the address just used, within the usual pause and daily cap; the
    answer is the same whatever the address. A GET (another language's link) lands on the page."""
    if request.method == "GET":
        return redirect(url_for(".check_inbox"), 303)
    view = current_view()
    form = _address_form()
    closed_at = view.letter.closes_at if closing.has_closed(view.letter.closes_at) else None
    if closed_at is not None and not form.validate():  # typed on the closed page: say what is wrong
        return private_page("public/sign_closed.html", 422, view=view, closed_at=closed_at, posted=False,
                            links_form=form)
    if form.validate() and form.validated_email is not None:
        rules.send_again(view, g.lang, form.validated_email)
        _remember_submission(request.form)
    if closed_at is not None:  # no confirm link went out: the closed page says what did
        return redirect(url_for(".form", links="sent"), 303)
    return redirect(url_for(".check_inbox", again=1), 303)


def _expired_confirmation(token: str, form: EmailForm | None = None, status: int = 410) -> ResponseReturnValue:
    return private_page("public/confirm_expired.html", status, form=form or EmailForm(), token=token)


@letter_route(bp, "/sign/confirm/<token:token>", methods=["GET", "POST"])
def confirm(token: str) -> ResponseReturnValue:
    found = find_token(token, TokenPurpose.CONFIRM, allow_expired=True)
    scope_to_letter_of(found.signature)
    if found.signature.status is not SignatureStatus.PENDING:
        return redirect(url_for(".thank_you"), 303)
    form = ButtonForm()
    if request.method == "POST" and form.validate():
        try:
            rules.confirm(token)
        except TokenExpired:
            return _expired_confirmation(token)
        return redirect(url_for(".thank_you"), 303)
    if found.expires_at <= utcnow():
        return _expired_confirmation(token)
    return private_page("public/confirm.html", form=form, signature=found.signature)


@letter_route(bp, "/sign/confirm/<token:token>/renew", methods=["POST"])
def renew_confirmation(token: str) -> ResponseReturnValue:
    scope_to_letter_of(find_token(token, TokenPurpose.CONFIRM, allow_expired=True).signature)
    form = EmailForm()
    if not form.validate() or form.validated_email is None:  # the address is set whenever the form validates
        return _expired_confirmation(token, form, 422)
    rules.renew_confirmation(token, form.validated_email, g.lang, current_view())
    return redirect(url_for(".check_inbox"), 303)


@letter_route(bp, "/sign/thank-you")
def thank_you() -> ResponseReturnValue:
    view = current_view()
    preview = sharing.preview_of(view, counts.published_count(view.letter.id), title=view.text.title,
                                 description=view.summary, url=i18n.absolute_url("letter.page"))
    return private_page("public/thank_you.html", view=view, share=sharing.share_of(view), preview=preview)


def _token_action(token: str, purpose: TokenPurpose, template: str, action: Callable[[str], object],
                  done_endpoint: str) -> ResponseReturnValue:
    found = find_token(token, purpose)
    scope_to_letter_of(found.signature)
    form = ButtonForm()
    if request.method == "POST" and form.validate():
        action(token)
        return redirect(url_for(done_endpoint), 303)
    return private_page(template, form=form, signature=found.signature)


@letter_route(bp, "/sign/withdraw/<token:token>", methods=["GET", "POST"])
def withdraw(token: str) -> ResponseReturnValue:
    return _token_action(token, TokenPurpose.WITHDRAW, "public/withdraw.html", rules.withdraw, ".withdrawn")


@letter_route(bp, "/sign/withdrawn")
def withdrawn() -> ResponseReturnValue:
    return private_page("public/withdrawn.html")


@letter_route(bp, "/sign/not-me/<token:token>", methods=["GET", "POST"])
def not_me(token: str) -> ResponseReturnValue:
    return _token_action(token, TokenPurpose.NOT_ME, "public/not_me.html", rules.not_me, ".not_me_done")


@letter_route(bp, "/sign/not-me-done")
def not_me_done() -> ResponseReturnValue:
    return private_page("public/not_me_done.html")
