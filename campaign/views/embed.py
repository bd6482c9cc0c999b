"""The counter partner sites may put in an ``<iframe>``: the one page others may frame."""

from __future__ import annotations

from flask import Blueprint, abort, g, make_response, render_template, request
from flask.typing import ResponseReturnValue

from .. import letters
from ..lifecycle import goals, timeline
from ..publication import counts
from ..web import i18n, parameters
from ..web.headers import allow_framing, public_response
from . import signing_now

bp = Blueprint("embed", __name__, url_prefix="/embed")
THEMES = ("light", "dark")


@bp.get("/<slug:slug>/counter")
def counter(slug: str) -> ResponseReturnValue:
    """A small page partner sites may frame: the count, in the language asked for (``?lang=``),
    light or dark as the reader prefers, or as the partner's page is (``?theme=light|dark``)."""
    found = letters.letter_by_slug(slug)
    if found is None:
        abort(404)
    g.lang = parameters.lenient_choice(request.args, "lang", i18n.supported_codes()) or i18n.negotiate()
    view = letters.letter_in_language(found, g.lang)
    info = letters.LetterInfo.of(found)
    count = counts.published_count(found.id)
    via = parameters.partner_code(request.args.get("via"))  # a partner's counter credits the partner
    html = render_template("embed/counter.html", view=view, count=count, progress=goals.progress(found.goal, count),
                           letter_url=i18n.absolute_url("letter.page", lang=g.lang, slug=slug),
                           sign_url=i18n.absolute_url("sign.form", lang=g.lang, slug=slug,
                                                      **({"via": via} if via else {})),
                           signing=signing_now(info), stage=timeline.stage(info),
                           theme=parameters.lenient_choice(request.args, "theme", THEMES) or "auto")
    response = public_response(make_response(html))
    response.vary.add("Accept-Language")
    return allow_framing(response)

