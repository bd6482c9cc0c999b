"""Answers to repeated reads of the pages every reader gets alike, given without entering Flask.

The letter page and the list's first pages are the same for every reader for
``LETTER_PAGE_CACHE_SECONDS`` (see ``web.caches``). On launch day thousands of open tabs re-request
them, mostly as conditional requests; routing, the session, the locale and the header hooks then
cost more than the page. A view serving such a page marks the request with ``replayable_until``.
This middleware keeps the exact status line, headers and body the app sent for that request and
gives them again to the same request (same method, scheme, host, path, query and conditional
headers) until the page itself expires. Requests carrying a cookie or credentials always reach the
app, and so does anything the app answered with a cookie or a ``Vary`` on more than the cookie.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import request

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ENVIRON_KEY = "campaign.replayable_until"
ROUTE_KEY = "campaign.replayable_route"
MAX_ENTRIES = 512
_REQUEST_PARTS = ("REQUEST_METHOD", "wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME",
                  "PATH_INFO", "QUERY_STRING", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
_NEVER_REPLAYED = ("HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_RANGE", "HTTP_IF_RANGE", "HTTP_IF_MATCH",
                   "HTTP_IF_UNMODIFIED_SINCE")
_REPLAYABLE_STATUS = ("200", "304")


def replayable_until(expires: float) -> None:
    """Mark the current response as the same for every reader until ``expires`` (``time.monotonic``)."""
    request.environ[ENVIRON_KEY] = expires
    request.environ[ROUTE_KEY] = request.url_rule.rule if request.url_rule else "unmatched"


@dataclass(frozen=True)
class _Answer:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    expires: float
    route: str  # the URL rule that made it, for the request metrics


#: Told of every replayed answer: (route, method, status code, seconds taken). ``/metrics`` counts them.
ReplayObserver = Callable[[str, str, str, float], None]


def _request_key(environ: WSGIEnvironment) -> tuple | None:
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or any(name in environ for name in _NEVER_REPLAYED):
        return None
    return tuple(environ.get(name) for name in _REQUEST_PARTS)


def _replayable(status: str, headers: list[tuple[str, str]]) -> bool:
    if not status.startswith(_REPLAYABLE_STATUS):
        return False
    for name, value in headers:
        lowered = name.lower()
        if lowered == "set-cookie":
            return False
        if lowered == "vary" and any(part.strip().lower() not in ("cookie", "") for part in value.split(",")):
            return False
    return True


class ReplayMiddleware:
    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self.wsgi_app = wsgi_app
        self.answers: dict[tuple, _Answer] = {}
        self._lock = threading.Lock()
        self.observer: ReplayObserver | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        key = _request_key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        answer = self.answers.get(key)
        if answer is not None and answer.expires > time.monotonic():
            observer = self.observer
            if observer is None:  # metrics off: the replay path stays as short as it was
                start_response(answer.status, list(answer.headers))
                return [answer.body]
            started = time.perf_counter()
            start_response(answer.status, list(answer.headers))
            observer(answer.route, environ["REQUEST_METHOD"], answer.status[:3], time.perf_counter() - started)
            return [answer.body]
        sent: list = []

        def capture(status: str, headers: list[tuple[str, str]],
                    exc_info: OptExcInfo | None = None) -> Callable[[bytes], object]:
            sent[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, capture)
        expires = environ.get(ENVIRON_KEY)
        if expires is None or not sent or not _replayable(*sent):
            return body
        try:
            content = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        with self._lock:
            if len(self.answers) >= MAX_ENTRIES:
                self.answers.clear()
            self.answers[key] = _Answer(sent[0], tuple(sent[1]), content, expires, environ.get(ROUTE_KEY, "unmatched"))
        return [content]

    def clear(self) -> None:
        with self._lock:
            self.answers.clear()
