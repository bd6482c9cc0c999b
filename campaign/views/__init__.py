"""Thin HTTP layers, one blueprint per audience."""

from flask import abort, current_app, g, make_response, render_template

from .. import letters
from ..security import private_response


def private_page(template: str, status: int = 200, **context):
    """A page for one person (forms, links from emails): rendered, never stored by any cache."""
    return private_response(make_response(render_template(template, **context), status))


def featured_letter_view() -> letters.LetterView:
    """The featured letter in the page's language (cached per process like the letter page), or 404."""
    config = current_app.config
    view = letters.featured_view(config["FEATURED_LETTER"], g.lang, config["LETTER_PAGE_CACHE_SECONDS"])
    if view is None:
        abort(404)
    return view
