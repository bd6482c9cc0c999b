"""``/metrics`` for monitoring (issue 17): off without a token, refused without it, parsable with it."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .factories import make_signature

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
    for status in ("verified", "verified", "published", "pending"):
        make_signature(status=status)
    client.get("/en/")
    client.get("/en/no-such-page")
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    found = samples(answer.get_data(as_text=True))
    letter = "ban-biometric-surveillance"
    assert found[("campaign_signatures", (("letter", letter), ("status", "verified")))] == 2
    assert found[("campaign_signatures", (("letter", letter), ("status", "published")))] == 1
    assert found[("campaign_review_queue", ())] == 2
    assert found[("campaign_http_requests_total", (("method", "GET"), ("route", "/<lang:lang>/"),
                                                     ("status", "200")))] >= 1
    assert any(name == "campaign_http_request_duration_seconds_bucket" for name, _ in found)
    assert not any("no-such-page" in str(labels) for _, labels in found), "routes, never paths"


def test_metrics_are_off_without_a_token_setting(app, client):
    app.config["METRICS_TOKEN"] = ""
    assert client.get("/metrics").status_code == 404
