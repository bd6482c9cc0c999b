"""A coalition partner's own page: how many confirmed signatures came through its links, by day
and kind, for each letter. Reached by an unguessable link an admin gave it (and may revoke);
nothing on it names or describes a signer."""

from __future__ import annotations

from flask import abort, g
from flask.typing import ResponseReturnValue

from .. import letters
from ..models import utcnow
from ..publication import partners
from . import private_page, reader_blueprint

bp = reader_blueprint("partner_page", __name__)


@bp.get("/partners/<token:token>")
def page(token: str) -> ResponseReturnValue:
    partner = partners.partner_by_page_token(token)
    if partner is None:
        abort(404)
    today = utcnow().date()
    rows = []
    for letter in letters.all_letters():
        view = letters.letter_in_language(letter, g.lang)
        rows.append((view.text.title if view else letter.slug, partners.totals_of(partner, letter.id),
                     partners.days(partner.id, letter.id, today)))
    return private_page("public/partner.html", partner=partner, rows=rows, days_shown=partners.DAYS_SHOWN)
