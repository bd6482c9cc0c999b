"""The letter itself: ``/`` picks a language, ``/<lang>/`` shows the featured letter, and
``/<lang>/letters/<slug>`` any letter."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import Blueprint, Response, current_app, g, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import letters
from ..lifecycle import goals, timeline, versions
from ..publication import counts, listing, sharing
from ..web import caches, i18n, parameters, replay, skeletons
from ..web.headers import public_response
from . import current_view, letter_route, reader_blueprint, signing_now

LATEST_ORGANISATIONS = 30
RECENT_EVENTS = 3
root = Blueprint("root", __name__)
bp = reader_blueprint("letter", __name__)


@root.get("/")
def choose_language() -> ResponseReturnValue:
    response = redirect(url_for("letter.page", lang=i18n.negotiate()), code=302)
    response.headers["Vary"] = "Accept-Language"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@letter_route(bp, "/")
def page() -> ResponseReturnValue:
    """The most-read page: rendered at most every LETTER_PAGE_CACHE_SECONDS per letter and language;
    a cached answer touches neither the templates nor the database. A partner's link
    (``?via=<code>``) gets the same page with its Sign links carrying the code."""
    view = current_view()
    signing = signing_now(view.letter)
    key = caches.letter_page_key(g.letter_slug, g.lang, signing)
    html = caches.get(key)
    if html is None:
        count = counts.published_count(view.letter.id)
        html = caches.put(key, render_template(
            "public/letter.html", view=view, published_count=count, progress=goals.progress(view.letter.goal, count),
            stage=timeline.stage(view.letter), recent_events=timeline.news(timeline.entries(view.letter, g.lang), RECENT_EVENTS),
            all_letters=letters.all_letters(), share=sharing.share_of(view),
            preview=sharing.preview_of(view, count, title=view.text.title, description=view.summary,
                                       url=i18n.absolute_url("letter.page")),
            drafters=listing.drafting_organisations(view.letter.id),
            latest=listing.latest_organisations(view.letter.id, LATEST_ORGANISATIONS), signing=signing,
            sign_url=url_for("sign.form") + skeletons.slot("via_query"), via_query=skeletons.slot("via_query"),
            status=versions.status(view.letter.id, view.text.language, view.letter.original_language),
        ), current_app.config["LETTER_PAGE_CACHE_SECONDS"])
    via = parameters.partner_code(request.args.get("via"))
    return shared_page_response(key, skeletons.fill(html, {"via_query": f"?via={via}" if via else ""}, html=True))


def shared_page(key: Hashable, render: Callable[[], str]) -> Response:
    """A reader page that is the same for everyone: rendered by ``render`` at most every
    LETTER_PAGE_CACHE_SECONDS per key, then answered from the cache (and replayed)."""
    html = caches.get(key)
    if html is None:
        html = caches.put(key, render(), current_app.config["LETTER_PAGE_CACHE_SECONDS"])
    return shared_page_response(key, html)


def shared_page_response(key: Hashable, html: str) -> Response:
    """A page from this process's cache (``web.caches``): the same for every reader, so repeats are replayed
    until it expires."""
    expires = caches.expires_at(key)
    if expires is not None:
        replay.replayable_until(expires)
    return public_response(make_response(html))
