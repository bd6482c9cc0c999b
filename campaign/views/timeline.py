"""A letter's public timeline: ``/<lang>/letters/<slug>/timeline``, its Atom feed, and the files
(photos, responses) its events carry."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, g, make_response, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..lifecycle import feed, timeline
from ..web import caches, i18n
from ..web.headers import public_response
from . import current_view, letter_route, reader_blueprint, signing_now
from .labels import timeline_heading
from .letter import shared_page

bp = reader_blueprint("timeline", __name__)
files = Blueprint("files", __name__, url_prefix="/files")
FILE_NAME = re.compile(r"(\d{1,12})-([0-9a-f]{16})\.(jpg|png|pdf)")
#: A file's address changes with its content, but an admin may take a photo down: copies kept by
#: proxies and browsers go within an hour.
HOUR = 3600


@letter_route(bp, "/timeline")
def page() -> ResponseReturnValue:
    view = current_view()
    signing = signing_now(view.letter)
    return shared_page(caches.timeline_key(g.letter_slug, g.lang, signing), lambda: render_template(
        "public/timeline.html", view=view, entries=timeline.entries(view.letter, g.lang),
        stage=timeline.stage(view.letter), signing=signing))


@letter_route(bp, "/timeline.atom")
def atom() -> ResponseReturnValue:
    view = current_view()
    body = feed.atom(
        timeline.entries(view.letter, g.lang), title=_("Timeline: %(title)s", title=view.text.title), language=g.lang,
        # the letter's own addresses, whichever one was asked for: an entry's id never changes
        page_url=i18n.absolute_url("timeline.page", slug=view.letter.slug),
        feed_url=i18n.absolute_url("timeline.atom", slug=view.letter.slug),
        heading=timeline_heading, more_label=_("Read more"), publisher=current_app.config["SITE_NAME"],
        file_url=lambda name: i18n.absolute_url("files.timeline_file", name=name),
    )
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    return public_response(response)


@files.get("/timeline/<name>")
def timeline_file(name: str) -> ResponseReturnValue:
    """A file's address carries its content's hash, so it is never stale; it is gone (404) once its
    event is removed."""
    match = FILE_NAME.fullmatch(name)
    found = timeline.stored_file(int(match.group(1)), match.group(2)) if match else None
    if found is None or timeline.FileRef(found.id, found.sha256, found.content_type).name != name:
        abort(404)
    response = make_response(found.data)
    response.mimetype = found.content_type
    response.headers["Cache-Control"] = f"public, max-age={HOUR}"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # feed readers show the photo
    response.headers["Content-Disposition"] = "inline" if found.content_type.startswith("image/") else \
        f'attachment; filename="{name}"'
    return response
