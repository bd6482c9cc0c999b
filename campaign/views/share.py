"""Sharing a letter: its card (the picture other sites show with a link to it) and the page that
sends a reader to their own Mastodon server."""

from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..letters import LetterView
from ..publication import cards, counts, sharing
from ..web.forms import MastodonForm
from ..web.headers import CONTENT_SECURITY_POLICY, private_response
from . import current_view, letter_route, private_page, reader_blueprint

bp = reader_blueprint("share", __name__)
#: A card's address changes with its picture: it may be kept for good.
FOREVER = "public, max-age=31536000, immutable"


@letter_route(bp, "/card-<count:shown>-<digest:digest>.png", endpoint="card")
def card(shown: int, digest: str) -> ResponseReturnValue:
    """The letter's card as it is now. An address of an earlier card (the count has moved a step
    since the page was read) is sent on to the current one."""
    view = current_view()
    current = cards.card_for(view, counts.published_count(view.letter.id))
    if (shown, digest) != (current.shown, current.digest):
        response = redirect(url_for(".card", shown=current.shown, digest=current.digest), 302)
        response.headers["Cache-Control"] = current_app.config["PUBLIC_CACHE_CONTROL"]
        return response
    response = make_response(cards.png(current))
    response.mimetype = "image/png"
    response.headers["Cache-Control"] = FOREVER
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # shown by the sites it is shared on
    return response


@letter_route(bp, "/share/mastodon", endpoint="mastodon")
def mastodon() -> ResponseReturnValue:
    """Asks for the reader's server, then sends them to a new post there with a plain redirect.

    Only our own form gets the redirect (the browser says ``Sec-Fetch-Site: same-origin``): a link
    from elsewhere carrying ``?instance=`` gets the page with a link to follow instead, so no site
    can use ours to send readers to a host of its choosing. The page with the form lets forms go to
    ``https:`` (``form-action 'self' https:``): browsers check a redirect after a form against it."""
    view = current_view()
    form = MastodonForm(formdata=request.args if "instance" in request.args else None)
    if "instance" not in request.args:
        return _mastodon_page(view, form, 200)
    if not form.validate() or form.server is None:
        return _mastodon_page(view, form, 422)
    post_url = sharing.mastodon_post_url(form.server, view)
    if request.headers.get("Sec-Fetch-Site") == "same-origin":
        return private_response(make_response(redirect(post_url, 303)))
    return private_page("public/share_mastodon.html", view=view, form=form, server=form.server, post_url=post_url)


def _mastodon_page(view: LetterView, form: MastodonForm, status: int) -> ResponseReturnValue:
    response = make_response(render_template("public/share_mastodon.html", view=view, form=form, post_url=None), status)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", "form-action 'self' https:")
    return private_response(response)
