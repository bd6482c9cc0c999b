"""Error pages in the visitor's language. They touch no database, so they work when it is down."""

from __future__ import annotations

from flask import Flask, render_template
from flask.globals import request_ctx
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

ERROR_TEMPLATES = {
    404: "errors/404.html",
    413: "errors/413.html",
    429: "errors/429.html",
    500: "errors/500.html",
    503: "errors/503.html",
}


def render_error(error: HTTPException):
    if request_ctx.url_adapter is None:  # e.g. a Host outside TRUSTED_HOSTS: no URL can be built
        return f"{error.code} {error.name}\n", error.code, {"Content-Type": "text/plain; charset=utf-8"}
    template = ERROR_TEMPLATES.get(error.code or 500, "errors/generic.html")
    response = render_template(template, error=error), error.code
    return response


def database_unavailable(error: OperationalError):
    body, status = render_error(ServiceUnavailable())
    return body, status, {"Retry-After": "10", "Cache-Control": "no-store"}


def internal_error(error: Exception):
    return render_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InternalServerError, internal_error)
