"""The one-click unsubscribe of campaign updates: ``/<lang>/updates/stop/<token>``.

The GET shows a button; the POST stops the news, with no login. The POST is exempt from the CSRF
check on purpose: RFC 8058 has mail providers send a bare ``List-Unsubscribe=One-Click`` POST from
their servers, with no session and no form token. What a forged POST could do is only what the
token's owner asked for by the link: stop their own news (the token is random, 256 bits, and the
logs redact it)."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue

from ..extensions import csrf
from ..mail import updates
from . import private_page, reader_blueprint

bp = reader_blueprint("updates", __name__)


@bp.route("/updates/stop/<token:token>", methods=["GET", "POST"])
@csrf.exempt
def stop(token: str) -> ResponseReturnValue:
    """A link that names no delivery (cut short, mistyped, or its signature withdrawn since) says
    so and where else the news stops, rather than a bare "not found"."""
    if request.method == "POST":
        if not updates.stop(token):
            return private_page("public/updates_stop_unknown.html", 404)
        return private_page("public/updates_stopped.html")
    if not updates.known(token):
        return private_page("public/updates_stop_unknown.html", 404)
    return private_page("public/updates_stop.html")
