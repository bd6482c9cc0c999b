"""Sharing a letter: its card (the picture other sites show with a link to it) and the page that
sends a reader to their own Mastodon server."""

from __future__ import annotations

from flask import current_app, make_response, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..publication import cards, counts, sharing
from ..web.forms import MastodonForm
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
    """Asks for the reader's server, then offers a plain link to a new post there. Not a redirect:
    browsers hold a redirect after a form to the page's ``form-action 'self'``."""
    view = current_view()
    form = MastodonForm(formdata=request.args if "instance" in request.args else None)
    if "instance" not in request.args:
        return private_page("public/share_mastodon.html", view=view, form=form, post_url=None)
    if not form.validate() or form.server is None:
        return private_page("public/share_mastodon.html", 422, view=view, form=form, post_url=None)
    return private_page("public/share_mastodon.html", view=view, form=form, server=form.server,
                        post_url=sharing.mastodon_post_url(form.server, view))
