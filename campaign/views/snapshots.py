"""The list's signed snapshots for readers: ``/<lang>/letters/<slug>/snapshots`` lists them, and
``/.well-known/snapshot-signing-key`` gives the key that signs them (see ``publication.snapshots``)."""

from __future__ import annotations

from flask import Blueprint, abort, g, make_response, render_template
from flask.typing import ResponseReturnValue

from ..publication import snapshots
from ..web import caches
from ..web.headers import public_response
from . import current_view, letter_route, reader_blueprint
from .letter import shared_page

bp = reader_blueprint("snapshots", __name__)
well_known = Blueprint("well_known", __name__)


@letter_route(bp, "/snapshots")
def page() -> ResponseReturnValue:
    view = current_view()
    return shared_page(caches.snapshots_key(g.letter_slug, g.lang), lambda: render_template(
        "public/snapshots.html", view=view, snapshots=list(reversed(snapshots.all_of(view.letter.id))),
        public_key=snapshots.public_key()))


@well_known.get("/.well-known/snapshot-signing-key")
def signing_key() -> ResponseReturnValue:
    key = snapshots.public_key()
    if key is None:
        abort(404)
    response = make_response(key + "\n")
    response.mimetype = "text/plain"
    return public_response(response)
