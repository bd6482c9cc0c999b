"""Response headers and caching policy: what every response says about itself."""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, redirect, request
from werkzeug.wrappers import Response as WerkzeugResponse

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), bluetooth=(), serial=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), display-capture=(), interest-cohort=(), browsing-topics=()"
)
HSTS = "max-age=63072000; includeSubDomains"
NOT_FRAMEABLE = "frame-ancestors 'none'"

BASE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def allow_framing(response: Response, ancestors: list[str] | None = None) -> Response:
    """Let other sites frame this response: any (the counter), or only ``ancestors`` (origins; none
    listed: no site). Its policy says so, and it gets no ``X-Frame-Options``."""
    allowed = "*" if ancestors is None else " ".join(ancestors) or "'none'"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        NOT_FRAMEABLE, f"frame-ancestors {allowed}")
    return response


def set_security_headers(response: Response) -> Response:
    """Add each base header the view did not set itself (one pass over the response's headers, not
    one per header: this runs on every response)."""
    present = {name.lower() for name, _ in response.headers}
    policy = response.headers.get("Content-Security-Policy")
    frameable = policy is not None and NOT_FRAMEABLE not in policy  # see ``allow_framing``
    response.headers.extend([
        (name, value) for name, value in BASE_HEADERS.items()
        if name.lower() not in present and not (frameable and name == "X-Frame-Options")
    ])
    if request.is_secure and "strict-transport-security" not in present:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def public_response(response: Response) -> Response:
    """Mark a reader-facing response cacheable by any proxy and answer conditional requests."""
    response.headers["Cache-Control"] = current_app.config["PUBLIC_CACHE_CONTROL"]
    response.add_etag()
    response.make_conditional(request)  # changes ``response`` itself (and returns it)
    return response


def private_response(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect_to_https() -> WerkzeugResponse | None:
    """With ``FORCE_HTTPS``, plain-HTTP requests are sent to the same path on ``SITE_URL``."""
    if not current_app.config["FORCE_HTTPS"] or request.is_secure or request.path == "/healthz":
        return None
    target = current_app.config["SITE_URL"] + request.full_path.rstrip("?")
    return redirect(target, 301 if request.method in ("GET", "HEAD") else 308)


def refuse_bodies_without_length() -> None:
    """A chunked body states no length: Werkzeug reads such a body only up to the size limit and
    parses what it got, so an oversized form would be cut short silently, not refused. Browsers,
    nginx and every client of ours send a length; a body without one gets 411."""
    if request.content_length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        abort(411, description="Send the request body with a Content-Length.")


def answer_options(response: Response) -> Response:
    """Flask answers OPTIONS itself with an empty ``200 text/html``: say it is empty (204, no
    content type), with ``Allow`` as Flask set it."""
    if request.method == "OPTIONS" and response.status_code == 200 and not response.is_streamed \
            and not response.get_data():
        response.status_code = 204
        del response.headers["Content-Type"]
        del response.headers["Content-Length"]
    return response


def init_app(app: Flask) -> None:
    """Called before any other extension registers its own hooks, so that plain HTTP is
    redirected before CSRF checks and rate limits look at the request."""
    app.before_request(redirect_to_https)
    app.before_request(refuse_bodies_without_length)
    app.after_request(set_security_headers)
    app.after_request(answer_options)
