"""Thin HTTP layers: one blueprint per module, each registered by ``create_app`` in one list.

Reader pages live under their language, ``/<lang>/…``; those that belong to a letter live under
the letter too, ``/<lang>/letters/<slug>/sign``. The featured letter keeps the short addresses
(``/<lang>/sign``, ``/<lang>/signatories``…) as aliases, so partner forms and printed links keep
working: ``letter_route`` registers both, and the letter is resolved once per request from the
slug in the URL (none: the featured letter). Links a page builds keep the form the reader came by
(see ``web.i18n.fill_url_scope``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, g, make_response, render_template
from flask.typing import ResponseReturnValue

from .. import letters
from ..extensions import db
from ..lifecycle import closing
from ..models import Letter, Signature
from ..signing import rules
from ..signing.tokens import TokenInvalid
from ..web import i18n
from ..web.headers import private_response

LETTER_PREFIX = "/letters/<slug:slug>"
View = TypeVar("View", bound=Callable[..., Any])


def reader_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint of reader pages, registered under ``/<lang:lang>``."""
    blueprint = Blueprint(name, import_name)
    blueprint.url_value_preprocessor(_pull_language_and_letter)
    return blueprint


def _pull_language_and_letter(endpoint: str | None, values: dict | None) -> None:
    values = values if values is not None else {}
    code = values.pop("lang", None)
    if code not in i18n.supported_codes():
        abort(404)
    g.lang = code
    g.letter_slug = values.pop("slug", None)


def letter_route(blueprint: Blueprint, rule: str, **options: Any) -> Callable[[View], View]:
    """Register a view of a letter at ``/letters/<slug><rule>`` and, for the featured letter, at
    ``<rule>``."""

    def register(view: View) -> View:
        blueprint.add_url_rule(rule, view_func=view, defaults={"slug": None}, **options)
        blueprint.add_url_rule(LETTER_PREFIX + ("" if rule == "/" else rule), view_func=view, **options)
        return view

    return register


def current_letter() -> letters.LetterInfo:
    """The letter of this request: the one named in the URL, else the featured one (or 404)."""
    info = letters.letter_info(g.get("letter_slug"))
    if info is None:
        abort(404)
    return info


def signing_now(letter: letters.LetterInfo) -> closing.Signing:
    """Whether pages of this letter offer to sign now (see ``closing.Signing``)."""
    return closing.signing_of(letter.closes_at, rules.signing_paused())


def signing_at(slug: str | None) -> closing.Signing:
    """Whether signing is open for the letter ``slug`` (None: the featured one), for a page that may
    have no letter to show (a link's error page, the privacy page): with none, only the pause counts."""
    letter = letters.letter_info(slug)
    return signing_now(letter) if letter is not None else closing.Signing(paused=rules.signing_paused())


def current_view() -> letters.LetterView:
    """The letter of this request in the page's language (kept per process like its pages), or 404."""
    view = letters.cached_view(g.get("letter_slug"), g.lang)
    if view is None:
        abort(404)
    return view


def scope_to_letter_of(signature: Signature) -> None:
    """An emailed link belongs to the letter its signature signed: a slug in the URL must be that
    letter's, and pages and links built from here on carry it (but for the featured letter's
    short addresses)."""
    slug = g.get("letter_slug")
    if slug is not None:
        info = letters.letter_info(slug)
        if info is None or info.id != signature.letter_id:
            raise TokenInvalid()
        return
    featured = letters.letter_info(None)
    if featured is None or featured.id != signature.letter_id:
        g.letter_slug = db.session.get_one(Letter, signature.letter_id).slug


def private_page(template: str, status: int = 200, **context: object) -> ResponseReturnValue:
    """A page for one person (forms, links from emails): rendered, never stored by any cache."""
    return private_response(make_response(render_template(template, **context), status))
