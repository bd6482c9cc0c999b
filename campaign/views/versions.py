"""A letter's versions in the open: ``/<lang>/letters/<slug>/versions``, every text it has had in
that language and what changed each time (see ``lifecycle.versions``)."""

from __future__ import annotations

from flask import abort, current_app, g, render_template
from flask.typing import ResponseReturnValue

from ..lifecycle import versions
from ..web import caches
from . import current_view, letter_route, reader_blueprint
from .letter import shared_page_response

bp = reader_blueprint("versions", __name__)


@letter_route(bp, "/versions")
def page() -> ResponseReturnValue:
    """The history of the text this language shows (the original's, while it has no translation)."""
    view = current_view()
    key = caches.versions_key(g.letter_slug, g.lang)
    html = caches.get(key)
    if html is None:
        entries = versions.history(view.letter.id, view.text.language)
        if not entries:
            abort(404)
        html = caches.put(key, render_template(
            "public/versions.html", view=view, versions=entries,
            status=versions.status(view.letter.id, view.text.language, view.letter.original_language),
        ), current_app.config["LETTER_PAGE_CACHE_SECONDS"])
    return shared_page_response(key, html)
