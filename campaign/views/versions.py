"""A letter's versions in the open: ``/<lang>/letters/<slug>/versions``, every text it has had in
that language and what changed each time (see ``lifecycle.versions``)."""

from __future__ import annotations

from flask import abort, g, render_template
from flask.typing import ResponseReturnValue

from ..lifecycle import versions
from ..web import caches
from . import current_view, letter_route, reader_blueprint
from .letter import shared_page

bp = reader_blueprint("versions", __name__)


@letter_route(bp, "/versions")
def page() -> ResponseReturnValue:
    """The history of the text this language shows (the original's, while it has no translation)."""
    view = current_view()

    def render() -> str:
        entries = versions.history(view.letter.id, view.text.language)
        if not entries:
            abort(404)
        return render_template("public/versions.html", view=view, versions=entries,
                               status=versions.status(view.letter.id, view.text.language, view.letter.original_language))

    return shared_page(caches.versions_key(g.letter_slug, g.lang), render)
