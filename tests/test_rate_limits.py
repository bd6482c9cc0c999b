"""Abuse limits: per client on the sign form, shared through Redis, never unlimited when it fails."""

from __future__ import annotations

import http.client
import os
import uuid
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from sqlalchemy import func, select

from campaign import create_app
from campaign.models import Signature

from . import gunicorn_server
from .factories import (
    LTR_AND_RTL,
    form_fields,
    signature_data,
    translated_plural,
)
from .smtp_sink import free_port

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SIGN_RATE_LIMIT": "3/minute", "RESEND_COOLDOWN_SECONDS": 0}


def post_as(client, remote_addr: str, headers=None, **overrides):
    environ = {"REMOTE_ADDR": remote_addr}
    page = client.get("/en/sign", environ_base=environ, headers=headers)
    data = {**form_fields(page.get_data(as_text=True)), **signature_data(**overrides)}
    return client.post("/en/sign", data=data, environ_base=environ, headers=headers)


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_sign_submissions_are_limited_per_client_with_a_translated_429(app, client, db, lang):
    for number in range(3):
        assert post_as(client, "198.51.100.7", email=f"person{number}@example.org").status_code == 303
    page = client.get(f"/{lang}/sign", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    data = {**form_fields(page.get_data(as_text=True)), **signature_data(email="late@example.org")}
    refused = client.post(f"/{lang}/sign", data=data, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    html = refused.get_data(as_text=True)
    assert translated_plural(
        app, lang, "Many people have just signed from the same network as you. Nothing you typed is lost: please "
        "send the form again in %(num)s minute.", "Many people have just signed from the same network as you. "
        "Nothing you typed is lost: please send the form again in %(num)s minutes.", 1) in html
    assert 'value="late@example.org"' in html, "the form comes back filled in"
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 3
    assert post_as(client, "198.51.100.8", email="other@example.org").status_code == 303, "other clients unaffected"


def test_reading_the_form_is_not_limited(client):
    for _ in range(10):
        assert client.get("/en/sign", environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 200


def test_forwarded_for_is_ignored_without_a_configured_proxy(client):
    for number in range(3):
        post_as(client, "198.51.100.10", {"X-Forwarded-For": f"192.0.2.{number}"}, email=f"p{number}@example.org")
    assert post_as(client, "198.51.100.10", {"X-Forwarded-For": "192.0.2.99"}, email="x@example.org").status_code == 429


def sibling_app(app_config, **overrides):
    """Another app on the same database as the ``app`` fixture (which owns schema and cleanup)."""
    return create_app({**app_config, **overrides})


def test_forwarded_for_is_trusted_through_the_configured_proxy(app, app_config):
    client = sibling_app(app_config, PROXY_FIX_HOPS=1).test_client()
    for number in range(3):
        assert post_as(client, "10.0.0.1", {"X-Forwarded-For": "192.0.2.1"}, email=f"p{number}@example.org").status_code == 303
    assert post_as(client, "10.0.0.1", {"X-Forwarded-For": "192.0.2.1"}, email="x@example.org").status_code == 429
    assert post_as(client, "10.0.0.1", {"X-Forwarded-For": "192.0.2.2"}, email="y@example.org").status_code == 303


def test_a_failing_store_falls_back_to_memory_never_to_unlimited(app, app_config):
    client = sibling_app(app_config, RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0").test_client()
    statuses = [post_as(client, "198.51.100.20", email=f"p{n}@example.org").status_code for n in range(6)]
    assert statuses.count(429) >= 2 and statuses[0] == 303


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (CI sets it)")
def test_limits_are_shared_through_redis(app, app_config):
    prefix = f"test-{uuid.uuid4().hex}"
    first = sibling_app(app_config, RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
    second = sibling_app(app_config, RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
    for number in range(3):
        assert post_as(first.test_client(), "198.51.100.30", email=f"p{number}@example.org").status_code == 303
    assert post_as(second.test_client(), "198.51.100.30", email="z@example.org").status_code == 429


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (CI sets it)")
def test_the_daily_email_cap_is_counted_under_each_sites_key_prefix(app, app_config):
    import redis

    from campaign.web.limits import hit

    ours, theirs = f"test-{uuid.uuid4().hex}", f"test-{uuid.uuid4().hex}"
    sites = [sibling_app(app_config, RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
             for prefix in (ours, ours, theirs)]

    def send_to(site, address_hash: str = "same-address") -> bool:
        with site.app_context():
            return hit("2/day", "verification-email", address_hash)

    store = redis.Redis.from_url(REDIS_URL)
    try:
        assert [send_to(sites[0]), send_to(sites[0])] == [True, True]
        assert not send_to(sites[1]), "one site, two processes: one count, through Redis"
        assert [send_to(sites[2]), send_to(sites[2]), send_to(sites[2])] == [True, True, False], \
            "another site on the same Redis counts its own"
        assert {key.decode() for prefix in (ours, theirs) for key in store.scan_iter(f"*{prefix}*")} \
            == {f"LIMITS:LIMITER/{prefix}/verification-email/same-address/2/1/day" for prefix in (ours, theirs)}
    finally:
        for prefix in (ours, theirs):
            for key in store.scan_iter(f"*{prefix}*"):
                store.delete(key)


def _post_form(port: int, fields: dict[str, str], path: str = "/en/sign") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", path, body=urlencode(fields),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        return connection.getresponse().status
    finally:
        connection.close()


#: Four gunicorn workers, and a limit of 10 a minute for what each test posts.
WORKERS, LIMIT = 4, 10


def _store_down(port: int, app_config: dict, **settings: str) -> dict[str, str]:
    """A production start of ``WORKERS`` workers whose shared store (Redis) cannot be reached."""
    return gunicorn_server.environment(
        port, app_config["SQLALCHEMY_DATABASE_URI"], WORKERS,
        FLASK_RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0",  # nothing listens there: the store is down
        FLASK_WTF_CSRF_ENABLED="false", **settings,
    )


def test_with_the_store_down_one_address_is_held_to_the_limit_across_gunicorn_workers(app, app_config, backend,
                                                                                   tmp_path):
    """Four gunicorn workers (``gunicorn.conf.py`` as in production), Redis unreachable: each worker
    counts alone and holds to its share, so one address gets at most the configured limit (without
    the share, 37 of 50 got through)."""
    if backend != "postgresql":
        pytest.skip("four worker processes share the database through a server")
    port, limit, workers = free_port(), LIMIT, WORKERS
    env = _store_down(port, app_config, FLASK_SIGN_RATE_LIMIT=f"{limit}/minute", FLASK_SIGN_MIN_SECONDS="0")
    log = tmp_path / "gunicorn.log"
    with gunicorn_server.running(env, log):
        with urlopen(f"http://127.0.0.1:{port}/en/sign", timeout=10) as page:  # the form's stamp, the same for all
            stamp = form_fields(page.read().decode())["started"]
        statuses = [_post_form(port, {"started": stamp, **signature_data(email=f"person{n}@example.org")})
                    for n in range(50)]
    accepted = statuses.count(303)
    assert set(statuses) <= {303, 429}, log.read_text()[-3000:]
    print(f"\nstore down, {workers} workers, limit {limit}/minute: {accepted} of 50 accepted")
    assert 1 <= accepted <= limit, f"{accepted} of 50 accepted with a limit of {limit}"


def test_with_the_store_down_login_posts_from_one_address_are_held_to_the_limit_across_gunicorn_workers(
        app, app_config, backend, tmp_path):
    """The same for ``/admin/login`` (without the share, 39 of 50 got through): whatever each post
    answers (a wrong password, the account's own throttle), at most the limit reach the login at all."""
    if backend != "postgresql":
        pytest.skip("four worker processes share the database through a server")
    port = free_port()
    env = _store_down(port, app_config, FLASK_ADMIN_LOGIN_RATE_LIMIT=f"{LIMIT}/minute")
    log = tmp_path / "gunicorn.log"
    with gunicorn_server.running(env, log):
        statuses = [_post_form(port, {"email": f"guess{n}@campaign.example", "password": f"wrong password {n}",
                                      "code": "123456"}, "/admin/login") for n in range(50)]
    refused = statuses.count(429)
    reached = len(statuses) - refused
    assert all(status < 500 for status in statuses), log.read_text()[-3000:]
    print(f"\nstore down, {WORKERS} workers, login limit {LIMIT}/minute: {reached} of 50 reached the login")
    assert 1 <= reached <= LIMIT, f"{reached} of 50 login posts reached the login with a limit of {LIMIT}"
