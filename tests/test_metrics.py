"""``/metrics`` for monitoring (issue 17): off without a token, refused without it, parsable with it."""

from __future__ import annotations

import datetime as dt
import http.client
import time

import pytest
from flask import request_started
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from campaign.models import OutboxMessage, OutboxStatus, Signature, SignatureStatus, utcnow
from campaign.web import caches

from . import gunicorn_server
from .factories import make_signature, published
from .smtp_sink import free_port

TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "METRICS_TOKEN": TOKEN}


def samples(text: str) -> dict[tuple, float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_metrics_are_refused_without_the_token(app, client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_metrics_are_parsable_and_count_what_the_table_holds(app, client, db):
    for status in ("verified", "verified", "pending", "rejected"):
        make_signature(status=status)
    published()  # as a moderator publishes: the tallies /metrics reads follow
    published()
    client.get("/en/")
    client.get("/en/no-such-page")
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Type"].count("charset") == 1, answer.headers["Content-Type"]
    found = samples(answer.get_data(as_text=True))
    letter = "ban-biometric-surveillance"
    in_the_table = dict(db.session.execute(select(Signature.status, func.count()).group_by(Signature.status)).all())
    assert {status.value: found[("campaign_signatures", (("letter", letter), ("status", status.value)))]
            for status in SignatureStatus} == {status.value: in_the_table.get(status, 0) for status in SignatureStatus}
    assert found[("campaign_signatures", (("letter", letter), ("status", "published")))] == 2
    assert found[("campaign_signatures", (("letter", letter), ("status", "hidden")))] == 0, "every status, even empty"
    assert found[("campaign_review_queue", ())] == 2
    assert found[("campaign_http_requests_total", (("method", "GET"), ("route", "/<lang:lang>/"),
                                                     ("status", "200")))] >= 1
    assert any(name == "campaign_http_request_duration_seconds_bucket" for name, _ in found)
    assert not any("no-such-page" in str(labels) for _, labels in found), "routes, never paths"


def scrape(client) -> dict[tuple, float]:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    return samples(answer.get_data(as_text=True))


def test_metrics_give_the_outbox_by_status_and_the_age_of_its_oldest_unsent_message(app, client, db):
    now = utcnow()

    def message(number: int, status: OutboxStatus, created: dt.datetime, due: dt.datetime) -> None:
        db.session.add(OutboxMessage(kind="verification", status=status, message_id=f"<metrics{number}@test>",
                                     created_at=created, next_attempt_at=due))

    message(1, OutboxStatus.FAILED, now - dt.timedelta(days=2), now - dt.timedelta(days=2))  # given up: not unsent
    message(2, OutboxStatus.PENDING, now - dt.timedelta(hours=3), now - dt.timedelta(hours=3))  # waiting, due
    message(3, OutboxStatus.PENDING, now - dt.timedelta(hours=20), now + dt.timedelta(hours=4))  # a reminder, later
    db.session.commit()
    found = scrape(client)
    assert found[("campaign_outbox_messages", (("status", "failed"),))] == 1
    assert found[("campaign_outbox_messages", (("status", "pending"),))] == 2
    assert ("campaign_outbox_messages", (("status", "sent"),)) not in found
    age = found[("campaign_outbox_oldest_unsent_age_seconds", ())]
    assert 3 * 3600 <= age < 3 * 3600 + 60, "the waiting message's age: not the failed one's, nor the reminder's"


def test_metrics_give_no_unsent_age_when_nothing_waits(app, client, db):
    db.session.add(OutboxMessage(kind="verification", status=OutboxStatus.FAILED, message_id="<metrics-failed@test>",
                                 created_at=utcnow() - dt.timedelta(days=1)))
    db.session.commit()
    found = scrape(client)
    assert found[("campaign_outbox_messages", (("status", "failed"),))] == 1
    assert found[("campaign_outbox_oldest_unsent_age_seconds", ())] == 0


def test_replayed_pages_are_counted_under_the_route_that_made_them(app, client, db):
    """A repeat answered before Flask (``web/replay.py``) still counts, as the README says."""
    caches.clear()
    app.config["LETTER_PAGE_CACHE_SECONDS"] = 60
    key = ("campaign_http_requests_total", (("method", "GET"), ("route", "/<lang:lang>/signatories"), ("status", "200")))
    before = scrape(client).get(key, 0)
    reader = app.test_client(use_cookies=False)
    entered = []
    receiver = lambda sender, **extra: entered.append(1)  # noqa: E731
    request_started.connect(receiver, app)
    try:
        answers = [reader.get("/fr/signatories?kind=individual").status_code for _ in range(3)]
    finally:
        request_started.disconnect(receiver, app)
    assert answers == [200] * 3 and len(entered) == 1, "two of the three were replayed"
    assert scrape(client)[key] == before + 3


def test_metrics_are_off_without_a_token_setting(app, client):
    app.config["METRICS_TOKEN"] = ""
    assert client.get("/metrics").status_code == 404


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def test_metrics_add_up_every_gunicorn_worker(app, app_config, backend, tmp_path):
    """Three gunicorn workers (``gunicorn.conf.py``, multiprocess mode): whichever worker answers the
    scrape, it reports the requests all of them answered, replayed answers included."""
    if backend != "postgresql":
        pytest.skip("three worker processes share the database through a server")
    port, workers, requests = free_port(), 3, 90
    env = gunicorn_server.environment(port, app_config["SQLALCHEMY_DATABASE_URI"], workers,
                                      FLASK_METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    with gunicorn_server.running(env, tmp_path / "gunicorn.log"):
        statuses = []
        for _round in range(requests // workers):
            # Connections opened together and left silent for a moment: a sync worker that accepted
            # one waits for its request, so the others are accepted by the other workers (sending
            # at once let a quick worker answer one and take the next from the queue).
            connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(workers)]
            for connection in connections:
                connection.connect()
            time.sleep(0.05)
            for connection in connections:
                connection.request("GET", "/en/")
            for connection in connections:
                answer = connection.getresponse()
                answer.read()
                statuses.append(answer.status)
                connection.close()
        scrapes = [_get(port, "/metrics", {"Authorization": f"Bearer {TOKEN}"}) for _ in range(6)]
    assert statuses == [200] * requests
    pids = {path.name.rsplit("_", 1)[1] for path in (tmp_path / "metrics").glob("counter_*.db")}
    assert len(pids) >= 2, "the requests were shared between workers"
    for status, text in scrapes:
        assert status == 200
        found = samples(text)
        assert found[("campaign_http_requests_total", (("method", "GET"), ("route", "/<lang:lang>/"),
                                                         ("status", "200")))] == requests
        assert found[("campaign_http_request_duration_seconds_count", (("method", "GET"),
                                                                         ("route", "/<lang:lang>/")))] == requests
