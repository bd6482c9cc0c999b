"""``/metrics`` for monitoring, in Prometheus' text format (prometheus-client).

Off unless ``FLASK_METRICS_TOKEN`` is set; then a request must carry it as ``Authorization:
Bearer <token>``. Requests are counted by route (the URL rule, never the path: no token or name
ends up in a label), method and status, with a latency histogram; under gunicorn the workers'
figures are added up through prometheus-client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``,
set by ``gunicorn.conf.py``). The campaign's own figures (signatures by letter and status, the
review queue, the outbox) are read from the database at each scrape; signatures by status as the
dashboard reads them (``moderation.stats.totals``: published from the tallies, the other statuses
counted through an index), never by counting the whole signature table.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from ..extensions import db
from ..models import Letter, OutboxMessage

#: Request metrics live in prometheus-client's default registry (one per process, or the
#: multiprocess files under gunicorn); the app's figures are collected at scrape time.
REQUESTS = Counter("campaign_http_requests_total", "HTTP requests answered by the app",
                   ["route", "method", "status"])
LATENCY = Histogram("campaign_http_request_duration_seconds", "Time to answer a request in the app",
                    ["route", "method"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


class CampaignCollector(Collector):
    """Signatures by letter and status, the review queue and the outbox, read at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from ..mail.outbox import health as mail_health
        from ..moderation import queue, stats

        signatures = GaugeMetricFamily("campaign_signatures", "Signatures by letter and status",
                                       labels=["letter", "status"])
        for letter_id, slug in db.session.execute(select(Letter.id, Letter.slug).order_by(Letter.slug)):
            for status, count in stats.totals(letter_id).by_status.items():  # the dashboard's: no table scan
                signatures.add_metric([slug, status.value], count)
        yield signatures
        yield GaugeMetricFamily("campaign_review_queue", "Entries waiting for a moderator",
                                value=queue.waiting_count())
        outbox = GaugeMetricFamily("campaign_outbox_messages", "Queued email by status", labels=["status"])
        for mail_status, count in db.session.execute(select(OutboxMessage.status, func.count())
                                                     .group_by(OutboxMessage.status)):
            outbox.add_metric([mail_status.value], count)
        yield outbox
        oldest = mail_health().oldest_waiting  # the backlog's, as the pages show it: not a reminder due later
        yield GaugeMetricFamily("campaign_outbox_oldest_unsent_age_seconds", "Age of the oldest unsent email",
                                value=max(0.0, time.time() - oldest.timestamp()) if oldest else 0.0)
        db.session.rollback()


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # every worker's figures, from their files
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(CampaignCollector())
    return registry


def metrics() -> Response:
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
        response = Response("a metrics token is required\n", 401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    response = Response(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)  # it names its charset
    response.headers["Cache-Control"] = "no-store"
    return response


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _count(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None and current_app.config["METRICS_TOKEN"]:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        LATENCY.labels(route, request.method).observe(time.perf_counter() - started)
    return response


def _count_replay(route: str, method: str, status: str, seconds: float) -> None:
    """An answer the replay layer gave without entering Flask counts like any other."""
    REQUESTS.labels(route, method, status).inc()
    LATENCY.labels(route, method).observe(seconds)


def init_app(app: Flask) -> None:
    app.add_url_rule("/metrics", "metrics", metrics)
    if app.config["METRICS_TOKEN"]:
        app.before_request(_start)
        app.after_request(_count)
        app.extensions["replay"].observer = _count_replay
