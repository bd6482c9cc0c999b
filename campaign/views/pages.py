"""Pages about the site itself: privacy (from the live settings) and accessibility."""

from __future__ import annotations

from flask import current_app, make_response, render_template
from flask.typing import ResponseReturnValue

from .. import letters, privacy
from ..web import i18n
from ..web.headers import public_response
from . import reader_blueprint, signing_at

bp = reader_blueprint("pages", __name__)


@bp.get("/privacy", endpoint="privacy")
def privacy_page() -> ResponseReturnValue:
    letter = letters.letter_info(None)
    contact = current_app.config["PRIVACY_CONTACT"] or (letter.contact if letter else None)
    return public_response(make_response(render_template(
        "public/privacy.html", periods=privacy.RetentionPeriods.from_config(), contact=contact,
        sign_url=i18n.absolute_url("sign.form"), signing=signing_at(None),
    )))


@bp.get("/accessibility", endpoint="accessibility")
def accessibility_page() -> ResponseReturnValue:
    return public_response(make_response(render_template("public/accessibility.html")))
