"""Error pages in the visitor's language, and the API's JSON errors. They touch no database, so
they work when it is down.

Every error of a path under ``/api/`` is JSON with the documented shape
(``{"error": {"status": …, "message": …}}``), whether a view raised it, the router found no route,
or something unexpected failed: an API client never has to parse an HTML page.
"""

from __future__ import annotations

from contextlib import suppress

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

API_PREFIX = "/api/"
ADMIN_BLUEPRINT = "admin"
ADMIN_PREFIX = "/admin/"
ERROR_TEMPLATES = {
    404: "errors/404.html",
    413: "errors/413.html",
    429: "errors/429.html",
    500: "errors/500.html",
    503: "errors/503.html",
}


def json_error(error: HTTPException) -> Response:
    response = jsonify(error={"status": error.code, "message": error.description})
    response.status_code = error.code or 500
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def render_error(error: HTTPException) -> ResponseReturnValue:
    if request.path.startswith(API_PREFIX):
        return json_error(error)
    status = error.code or 500  # Flask hands handlers only exceptions with a code
    if request_ctx.url_adapter is None:  # e.g. a Host outside TRUSTED_HOSTS: no URL can be built
        return f"{error.code} {error.name}\n", status, {"Content-Type": "text/plain; charset=utf-8"}
    if status in (400, 404) and _in_the_admin():
        return _admin_error(error, status)
    template = ERROR_TEMPLATES.get(status, "errors/generic.html")
    return render_template(template, error=error), status


def _in_the_admin() -> bool:
    """A moderator's page, or an address under the admin's that matched none."""
    return (request.blueprint or "").partition(".")[0] == ADMIN_BLUEPRINT or request.path.startswith(ADMIN_PREFIX)


def _admin_error(error: HTTPException, status: int) -> ResponseReturnValue:
    """A moderator's page asked with a value it cannot use (a filter typed into the address, a link
    from an older page), or for something that is not there (a withdrawn signature): said in the
    admin's own layout, naming the parameter, with a way back to the queue, rather than the
    readers' page that offers the letter."""
    return render_template("admin/error.html", status=status, parameter=getattr(error, "parameter", None)), status


def form_expired(error: CSRFError) -> ResponseReturnValue:
    """A form whose anti-forgery token is missing or too old (open for hours, or the session ended
    since): nothing was done, and the page says so and how to go on, in the site's own words."""
    if request.path.startswith(API_PREFIX) or request_ctx.url_adapter is None:
        return render_error(error)
    back = request.referrer if request.referrer and request.referrer.startswith(request.host_url) else None
    return render_template("errors/form_expired.html", error=error, back=back), 400


def _end_the_failed_transaction() -> None:
    """A write that failed part way leaves the session unusable ("prepared" or aborted); the page's
    own reads (the signed-in admin, say) need a fresh start."""
    from ..extensions import db

    with suppress(SQLAlchemyError):
        db.session.rollback()


def database_unavailable(error: OperationalError) -> Response:
    _end_the_failed_transaction()
    response = make_response(render_error(ServiceUnavailable()))
    response.headers.update({"Retry-After": "10", "Cache-Control": "no-store"})
    return response


def internal_error(error: Exception) -> ResponseReturnValue:
    _end_the_failed_transaction()
    return render_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(CSRFError, form_expired)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InternalServerError, internal_error)
