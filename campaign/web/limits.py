"""Rate limits on submissions, counted in a shared store, and what happens when it fails.

Every limit guards a submission (signing, renewing a link, logging in) and is listed in ``LIMITS``
with the setting that holds it; reads skip the limiter's bookkeeping, which costs a cached page
more than the page itself. Each app gets a limiter of its own (a process may build several apps:
tests, scripts), so no state crosses from one app to the next.

When the shared store (Redis) cannot be reached, each process counts in its own memory and holds
itself to its share of every limit: with ``RATELIMIT_FALLBACK_PROCESSES`` processes behind one
address, each lets through at most 1/N of a limit, so together they stay within it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from flask import Flask, Response, current_app, request
from flask.typing import RouteCallable
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from limits import parse, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from ..logs import security_event

logger = logging.getLogger(__name__)

#: (endpoint, methods limited or None for all, the setting that holds the limit)
LIMITS = (
    ("sign.form", ("POST",), "SIGN_RATE_LIMIT"),
    ("sign.renew_confirmation", None, "SIGN_RATE_LIMIT"),
    ("sign.send_again", ("POST",), "SIGN_RATE_LIMIT"),
    ("embed_sign.sign", ("POST",), "SIGN_RATE_LIMIT"),
    ("embed_sign.send_again", ("POST",), "SIGN_RATE_LIMIT"),
    ("admin.login", ("POST",), "ADMIN_LOGIN_RATE_LIMIT"),
    ("admin.account_setup", ("POST",), "ADMIN_LOGIN_RATE_LIMIT"),
)
EXTENSION_KEY = "campaign_limiter"

#: Counts for ``hit`` while the shared store cannot be reached (and the limiter has not noticed yet).
_local_counts = FixedWindowRateLimiter(MemoryStorage())


def _limiter() -> Limiter:
    return current_app.extensions[EXTENSION_KEY]


def _counting_alone() -> bool:
    """Whether limits are counted in this process's memory because the shared store failed."""
    limiter = _limiter()
    return limiter.limiter.storage is not limiter.storage


def _share_cost(limits: str) -> int:
    """What one request costs while each process counts alone. A limit smaller than the number of
    processes still lets one request through per process."""
    processes = current_app.config["RATELIMIT_FALLBACK_PROCESSES"]
    smallest = min(item.amount for item in parse_many(limits))
    return max(1, min(processes, smallest))


def _cost(setting: str) -> Callable[[], int]:
    def cost() -> int:
        return _share_cost(current_app.config[setting]) if _counting_alone() else 1

    return cost


def _limit(setting: str) -> Callable[[], str]:
    def limit() -> str:
        return current_app.config[setting]

    return limit


@dataclass(frozen=True)
class RetryAfter:
    """When the limit a request broke lets it through again: seconds for ``Retry-After``, whole
    minutes (at least one) for the sentence the person reads."""

    seconds: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))

    def stamp(self, response: Response) -> Response:
        response.headers["Retry-After"] = str(self.seconds)
        return response


def retry_after() -> RetryAfter:
    """For the limit this request broke (a minute when the limiter cannot tell)."""
    current = _limiter().current_limit
    return RetryAfter(max(1, int(current.reset_at - time.time())) if current is not None else 60)


def hit(limit: str, *keys: str) -> bool:
    """Count one event against ``limit`` (e.g. emails to one address) in the shared store, or in
    this process's memory, at its share, when the store is down: never without a limit.

    The counter's key starts with ``RATELIMIT_KEY_PREFIX``, as Flask-Limiter's own do (it reads the
    same setting), so campaigns sharing one Redis each keep their own counts."""
    item = parse(limit)
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    keys = (prefix, *keys) if prefix else keys
    try:
        if not _counting_alone():
            return _limiter().limiter.hit(item, *keys)
    except Exception:  # noqa: BLE001  (any failure of the store means: count alone)
        logger.warning("rate-limit store unavailable; counting in this process at its share")
    return _local_counts.hit(item, *keys, cost=_share_cost(limit))


def _log_breach(request_limit: RequestLimit) -> None:
    security_event("rate_limit.tripped", endpoint=request.endpoint, limit=str(request_limit.limit))


def _reading_is_not_limited() -> bool:
    return request.method in ("GET", "HEAD", "OPTIONS")


def init_app(app: Flask) -> None:
    """Give ``app`` its own limiter and put every limit of ``LIMITS`` on its view."""
    limiter = Limiter(key_func=get_remote_address, on_breach=_log_breach, app=app)
    limiter.request_filter(_reading_is_not_limited)
    for endpoint, methods, setting in LIMITS:
        decorate = limiter.limit(_limit(setting), methods=list(methods) if methods else None, cost=_cost(setting))
        # The decorator keeps the view's signature; mypy cannot infer that through ``RouteCallable``'s union.
        app.view_functions[endpoint] = cast(RouteCallable, decorate(app.view_functions[endpoint]))
    app.extensions[EXTENSION_KEY] = limiter
