"""Pages for readers: every one lives under its language prefix, ``/<lang>/``."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, make_response, redirect, render_template, url_for

from ..web import i18n, caches as page_cache, replay
from .. import letters
from ..publication import listing as publication
from ..security import public_response

bp = Blueprint("public", __name__)
root = Blueprint("root", __name__)


@bp.url_value_preprocessor
def pull_language(endpoint, values):
    code = (values or {}).pop("lang", None)
    if code not in i18n.supported_codes():
        abort(404)
    g.lang = code


@bp.url_defaults
def add_language(endpoint, values):
    if "lang" not in values and g.get("lang"):
        values["lang"] = g.lang


@root.get("/")
def choose_language():
    response = redirect(url_for("public.letter", lang=i18n.negotiate()), code=302)
    response.headers["Vary"] = "Accept-Language"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _render_letter_page(slug: str | None, canonical_endpoint: str):
    """The most-read page: rendered at most every LETTER_PAGE_CACHE_SECONDS per letter and language;
    a cached answer touches neither the templates nor the database."""
    key = ("letter-page", slug, g.lang)
    html = page_cache.get(key)
    if html is None:
        letter = letters.letter_by_slug(slug) if slug else letters.featured_letter(current_app.config["FEATURED_LETTER"])
        if letter is None:
            abort(404)
        canonical_args = {"slug": slug} if slug else {}
        html = page_cache.put(key, _letter_html(letter, canonical_endpoint, **canonical_args),
                              current_app.config["LETTER_PAGE_CACHE_SECONDS"])
    return shared_page_response(key, html)


def shared_page_response(key, html: str):
    """A page from the page cache: the same for every reader, so repeats are replayed until it expires."""
    expires = page_cache.expires_at(key)
    if expires is not None:
        replay.replayable_until(expires)
    return public_response(make_response(html))


def _letter_html(letter, canonical_endpoint: str, **canonical_args) -> str:
    view = letters.letter_in_language(letter, g.lang)
    if view is None:
        abort(404)
    return render_template(
        "public/letter.html",
        view=view,
        published_count=publication.published_count(letter.id),
        all_letters=letters.all_letters(),
        share_url=i18n.absolute_url(canonical_endpoint, lang=g.lang, **canonical_args),
        share_title=view.text.title,
    )


@bp.get("/")
def letter():
    return _render_letter_page(None, "public.letter")


@bp.get("/letters/<slug:slug>")
def letter_by_slug(slug: str):
    return _render_letter_page(slug, "public.letter_by_slug")
