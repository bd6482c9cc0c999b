"""Signing pages: the form, the emailed links (confirm, withdraw, "it wasn't me") and their answers."""

from __future__ import annotations

from flask import current_app, g, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf

from ..web import i18n, caches as page_cache
from .. import letters
from ..signing import rules as signing
from ..extensions import csrf, limit_cost, limiter
from ..web.forms import ButtonForm, EmailForm, SignatureForm, new_form_stamp
from ..models import SignatureKind, SignatureStatus, TokenPurpose, utcnow
from ..security import private_response
from . import featured_letter_view, private_page
from .public import bp


def _sign_rate_limit() -> str:
    return current_app.config["SIGN_RATE_LIMIT"]


def _details(form: SignatureForm) -> signing.SignatureDetails:
    return signing.SignatureDetails(
        kind=SignatureKind(form.kind.data),
        name=form.name.data,
        organisation=form.organisation.data,
        role=form.role.data,
        country=form.country.data,
        city=form.city.data,
        website=form.website.data,
        comment=form.comment.data,
        consent_publish=bool(form.consent_publish.data),
        consent_updates=bool(form.consent_updates.data),
    )


TOKEN_MARK, STAMP_MARK = "\x00csrf-token\x00", "\x00form-stamp\x00"


def _blank_form_page(view: letters.LetterView):
    """The empty sign form, rendered once per language and process; each request only fills in its
    own CSRF token and time stamp (the only parts that differ between readers)."""
    key = ("sign-form", g.lang)
    skeleton = page_cache.get(key)
    if skeleton is None:
        form = SignatureForm()
        html = render_template("public/sign.html", view=view, form=form, failed=False)
        if "csrf_token" in form:  # absent only where a test turned CSRF off
            html = html.replace(form.csrf_token.current_token, TOKEN_MARK)
        skeleton = html.replace(form.started.data, STAMP_MARK)
        page_cache.put(key, skeleton, current_app.config["LETTER_PAGE_CACHE_SECONDS"])
    if TOKEN_MARK in skeleton:
        skeleton = skeleton.replace(TOKEN_MARK, generate_csrf())
    html = skeleton.replace(STAMP_MARK, new_form_stamp())
    return private_response(make_response(html))


@bp.route("/sign", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token and answers a stale one with the form, not a bare 400
@limiter.limit(_sign_rate_limit, methods=["POST"], cost=limit_cost("SIGN_RATE_LIMIT"))
def sign():
    view = featured_letter_view()
    if signing.signing_paused():
        return private_page("public/sign_paused.html", 503, view=view)
    if request.method == "GET":
        return _blank_form_page(view)
    form = SignatureForm()
    if form.is_bot():
        return redirect(url_for(".check_inbox"), 303)
    if form.validate() and form.stamp_is_valid():
        try:
            signing.submit_signature(
                view.letter, g.lang, view.text.version, view.text.title, _details(form),
                form.validated_email, request.remote_addr,
            )
        except signing.SigningPaused:
            return private_page("public/sign_paused.html", 503, view=view)
        return redirect(url_for(".check_inbox"), 303)
    return private_page("public/sign.html", 422, view=view, form=form, failed=True)


@bp.errorhandler(signing.TokenInvalid)
def link_invalid(error):
    """Every emailed link that is unknown, tampered with, or meant for another page."""
    return private_page("public/link_invalid.html", 404)


@bp.errorhandler(signing.TokenExpired)
def link_expired(error):
    """Every emailed link past its time (an expired confirm link gets its own page, above)."""
    return private_page("public/link_expired.html", 410)


@bp.get("/sign/check-your-inbox")
def check_inbox():
    return private_page("public/check_inbox.html", hours=current_app.config["CONFIRM_TOKEN_HOURS"])


def _expired_confirmation(token: str, form: EmailForm | None = None, status: int = 410):
    return private_page("public/confirm_expired.html", status, form=form or EmailForm(), token=token)


@bp.route("/sign/confirm/<token:token>", methods=["GET", "POST"])
def confirm(token: str):
    found = signing.find_token(token, TokenPurpose.CONFIRM, allow_expired=True)
    if found.signature.status is not SignatureStatus.PENDING:
        return redirect(url_for(".thank_you"), 303)
    form = ButtonForm()
    if request.method == "POST" and form.validate():
        try:
            signing.confirm(token)
        except signing.TokenExpired:
            return _expired_confirmation(token)
        return redirect(url_for(".thank_you"), 303)
    if found.expires_at <= utcnow():
        return _expired_confirmation(token)
    return private_page("public/confirm.html", form=form, signature=found.signature)


@bp.post("/sign/confirm/<token:token>/renew")
@limiter.limit(_sign_rate_limit, cost=limit_cost("SIGN_RATE_LIMIT"))
def renew_confirmation(token: str):
    form = EmailForm()
    if not form.validate():
        return _expired_confirmation(token, form, 422)
    view = featured_letter_view()
    signing.renew_confirmation(token, form.validated_email, g.lang, view.text.title)
    return redirect(url_for(".check_inbox"), 303)


@bp.get("/sign/thank-you")
def thank_you():
    view = featured_letter_view()
    return private_page(
        "public/thank_you.html", view=view, share_url=i18n.absolute_url("public.letter", lang=g.lang),
        share_title=view.text.title,
    )


def _token_action(token: str, purpose: TokenPurpose, template: str, action, done_endpoint: str):
    found = signing.find_token(token, purpose)
    form = ButtonForm()
    if request.method == "POST" and form.validate():
        action(token)
        return redirect(url_for(done_endpoint), 303)
    return private_page(template, form=form, signature=found.signature)


@bp.route("/sign/withdraw/<token:token>", methods=["GET", "POST"])
def withdraw(token: str):
    return _token_action(token, TokenPurpose.WITHDRAW, "public/withdraw.html", signing.withdraw, ".withdrawn")


@bp.get("/sign/withdrawn")
def withdrawn():
    return private_page("public/withdrawn.html")


@bp.route("/sign/not-me/<token:token>", methods=["GET", "POST"])
def not_me(token: str):
    return _token_action(token, TokenPurpose.NOT_ME, "public/not_me.html", signing.not_me, ".not_me_done")


@bp.get("/sign/not-me-done")
def not_me_done():
    return private_page("public/not_me_done.html")
