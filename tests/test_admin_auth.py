"""Admin accounts: passwords, second factor, lockout, revocable sessions, roles, and a closed door."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select, update

from campaign import create_app
from campaign.config import apply_cookie_policy
from campaign.models import AdminSession, AuditEntry, LoginThrottle
from campaign.moderation import accounts

from .factories import ADMIN_PASSWORD, TEST_CONFIG, csrf_token, log_in, make_admin, totp_code, translated


def message_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r'value="[^"]*"', "", html)


def test_login_with_password_and_code(app, client, db):
    user = make_admin()
    response = log_in(client, user)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    queue = client.get("/admin/")
    assert queue.status_code == 200
    assert queue.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "login.succeeded"))


def test_every_failure_looks_the_same(app, client, db):
    user = make_admin()
    wrong_code = log_in(client, user, code="000000")
    wrong_password = log_in(client, user, password="not the password at all", code="000000")
    unknown = log_in(client, "nobody@campaign.example", code="123456")
    missing_code = log_in(client, user, code="")
    assert {r.status_code for r in (wrong_code, wrong_password, unknown, missing_code)} == {401}
    assert len({message_of(r) for r in (wrong_code, wrong_password, unknown, missing_code)}) == 1
    assert client.get("/admin/").status_code == 302


def test_a_code_is_accepted_once(app, client, db):
    user = make_admin()
    code = totp_code(user)
    assert log_in(client, user, code=code).status_code == 302
    client.post("/admin/logout", data={"csrf_token": csrf_token(client)})
    assert log_in(client, user, code=code).status_code == 401


def _simultaneous_logins(app, count: int, **fields) -> list[int]:
    """``count`` login posts released at the same instant, each from its own client."""
    app.config["WTF_CSRF_ENABLED"] = False
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def attempt():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/admin/login", data=fields).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_one_code_in_eight_simultaneous_logins_opens_one_session(app, db, backend):
    if backend != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL; SQLite serialises writers")
    user = make_admin()
    statuses = _simultaneous_logins(app, 8, email=user.email, password=ADMIN_PASSWORD, code=totp_code(user))
    assert sorted(statuses) == [302] + [401] * 7
    assert db.session.scalar(select(func.count()).select_from(AdminSession)) == 1


def test_simultaneous_failures_are_all_counted_and_never_crash(app, db, backend):
    if backend != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL; SQLite serialises writers")
    statuses = _simultaneous_logins(app, 8, email="nobody@campaign.example", password="wrong password here",
                                    code="000000")
    assert statuses == [401] * 8
    counts = db.session.scalars(select(LoginThrottle.failures)).all()
    assert sorted(counts) == [8, 8], "the account's and the client network's counters each saw every failure"


def test_repeated_failures_lock_the_account(app, client, db):
    user = make_admin()
    for _ in range(accounts.LOCK_AFTER):
        assert log_in(client, user, password="wrong password here", code="000000").status_code == 401
    assert log_in(client, user).status_code == 401, "locked: even the right details fail"
    db.session.execute(update(LoginThrottle).values(locked_until=dt.datetime.now(dt.timezone.utc)))
    db.session.commit()
    assert log_in(client, user).status_code == 302


def test_failures_slow_down_before_the_lock(app, client, db):
    user = make_admin()
    for _ in range(accounts.SLOW_DOWN_AFTER):
        log_in(client, user, password="wrong password here", code="000000")
    throttle = db.session.scalars(select(LoginThrottle)).first()
    assert throttle.locked_until is not None
    assert throttle.locked_until - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(seconds=accounts.SLOW_DOWN_SECONDS)


def test_one_client_trying_many_accounts_is_locked_too(app, client, db):
    user = make_admin()
    for number in range(accounts.LOCK_AFTER):
        log_in(client, f"guess{number}@campaign.example", code="123456")
    assert log_in(client, user).status_code == 401


def test_login_attempts_are_rate_limited_per_client(app, client, db):
    app.config["ADMIN_LOGIN_RATE_LIMIT"] = "2/minute"
    for _ in range(2):
        log_in(client, "x@campaign.example", code="000000")
    refused = log_in(client, "x@campaign.example", code="000000")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    html = refused.get_data(as_text=True)
    assert "Please wait a few minutes and try again." in html
    assert 'value="x@campaign.example"' in html and 'name="password"' in html, "the form again, the address kept"


def test_logout_ends_the_session_on_the_server(app, client, db):
    user = make_admin()
    log_in(client, user)
    stolen = client.get_cookie("session").value
    client.post("/admin/logout", data={"csrf_token": csrf_token(client)})
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/admin/").status_code == 302


@pytest.mark.parametrize("action", ["disable", "password", "second-factor"])
def test_account_changes_end_every_session(app, client, db, action):
    user = make_admin()
    log_in(client, user)
    assert client.get("/admin/").status_code == 200
    if action == "disable":
        accounts.set_active(user, False)
    elif action == "password":
        accounts.reset_password(user, "another long passphrase 77")
    else:
        accounts.reset_second_factor(user)
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("column, age", [("last_seen_at", dt.timedelta(minutes=31)), ("created_at", dt.timedelta(hours=13))])
def test_sessions_expire_when_idle_and_after_their_lifetime(app, client, db, column, age):
    user = make_admin()
    log_in(client, user)
    moment = dt.datetime.now(dt.timezone.utc) - age
    last_seen = min(moment, dt.datetime.now(dt.timezone.utc))
    db.session.execute(update(AdminSession).values(**{column: moment, "last_seen_at": last_seen}))
    db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_a_new_session_on_login(app, client, db):
    user = make_admin()
    client.get("/admin/login")
    before = client.get_cookie("session").value
    log_in(client, user)
    assert client.get_cookie("session").value != before


@pytest.mark.parametrize("target, expected", [
    ("/admin/audit", "/admin/audit"),
    ("https://evil.example/admin/", "/admin/"),
    ("//evil.example/admin/", "/admin/"),
    ("/\\evil.example", "/admin/"),
    ("/en/", "/admin/"),
])
def test_next_only_leads_to_local_admin_paths(app, client, db, target, expected):
    user = make_admin()
    response = log_in(client, user, next_path=target)
    assert response.headers["Location"] == expected


def test_admin_posts_without_csrf_are_refused(app, client, db):
    user = make_admin()
    log_in(client, user)
    for path in ("/admin/signatures/decide", "/admin/logout", "/admin/signing", "/admin/signatures/1/hide"):
        assert client.post(path, data={"ids": "1", "decision": "approve"}).status_code == 400
    # and the page says what happened and how to go on: sent from the site's own page, what it sent
    # comes back to send again (tests/test_admin_carry.py); from nowhere, plainly refused
    refused = client.post("/admin/signing", data={"paused": "1"}, headers={"Referer": "http://localhost/admin/"})
    html = refused.get_data(as_text=True)
    assert "Not saved yet" in html and "Nothing was changed" in html and 'action="/admin/signing"' in html
    plain = client.post("/admin/signing", data={"paused": "1"}).get_data(as_text=True)
    assert "This form has expired" in plain and "Nothing was changed" in plain
    elsewhere = client.post("/admin/signing", data={"paused": "1"}, headers={"Referer": "https://evil.example/"})
    assert "evil.example" not in elsewhere.get_data(as_text=True)


def test_nobody_unauthenticated_reaches_any_admin_page(app, client):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint in ("admin.login", "admin.account_setup"):
            continue  # the setup page's key is its one-time link (tests/test_account_links.py)
        path = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", rule.rule)
        path = re.sub(r"<(?:int:)?[^>]+>", "1", path)
        if "GET" in rule.methods:
            response = client.get(path)
            assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login"), path
        if "POST" in rule.methods:
            assert client.post(path).status_code in (302, 400), path


@pytest.mark.parametrize("method, path", [
    ("get", "/admin/accounts"), ("get", "/admin/export.csv"), ("get", "/admin/export.json"),
    ("post", "/admin/signing"), ("post", "/admin/accounts/1/active"), ("post", "/admin/accounts/1/role"),
    ("get", "/admin/accounts/1"), ("post", "/admin/accounts"), ("post", "/admin/accounts/1/password"),
    ("post", "/admin/accounts/1/second-factor"), ("post", "/admin/accounts/1/link"),
])
def test_moderators_cannot_manage_accounts_or_export_personal_data(app, client, db, method, path):
    user = make_admin()
    log_in(client, user)
    data = {"csrf_token": csrf_token(client)} if method == "post" else None
    assert getattr(client, method)(path, data=data).status_code == 403


def test_admins_can_manage_accounts(app, client, db):
    admin = make_admin("admin@campaign.example", role="admin")
    moderator = make_admin()
    log_in(client, admin)
    page = client.get("/admin/accounts")
    assert page.status_code == 200 and "mod@campaign.example" in page.get_data(as_text=True)
    client.post(f"/admin/accounts/{moderator.id}/active", data={"csrf_token": csrf_token(client, "/admin/accounts")})
    db.session.refresh(moderator)
    assert moderator.active is False


@pytest.mark.parametrize("password, problem", [
    ("short pass", "at least 12"),
    ("x" * 129, "at most 128"),
    ("password1234", "too common"),
    ("aaaaaaaaaaaaaaaa", "too common"),
    ("Surveillance!!", "too common"),
])
def test_password_policy(password, problem):
    with pytest.raises(accounts.WeakPassword, match=problem):
        accounts.check_password_policy(password)


def test_passwords_are_hashed_with_argon2id(app, db):
    user = make_admin()
    assert user.password_hash.startswith("$argon2id$")
    assert ADMIN_PASSWORD not in user.password_hash


def test_cli_creates_an_account_and_prints_the_enrolment_uri(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["admin", "create", "new@campaign.example", "--role", "admin", "--password-stdin"],
                           input="a perfectly long passphrase\n")
    assert result.exit_code == 0, result.output
    assert "otpauth://totp/" in result.output and "new%40campaign.example" in result.output
    weak = runner.invoke(args=["admin", "create", "weak@campaign.example", "--password-stdin"], input="password\n")
    assert weak.exit_code != 0 and "at least 12" in weak.output
    listed = runner.invoke(args=["admin", "list"])
    assert "new@campaign.example\tadmin\tactive" in listed.output


def test_cli_disables_resets_and_reissues_second_factors(app, db):
    user = make_admin()
    runner = app.test_cli_runner()
    old_secret = user.totp_secret
    assert runner.invoke(args=["admin", "reset-second-factor", user.email]).exit_code == 0
    db.session.refresh(user)
    assert user.totp_secret != old_secret
    result = runner.invoke(args=["admin", "reset-password", user.email, "--password-stdin"], input="fresh long passphrase 9\n")
    assert result.exit_code == 0
    assert runner.invoke(args=["admin", "disable", user.email]).exit_code == 0
    db.session.refresh(user)
    assert user.active is False


@pytest.mark.parametrize("lang", ["es", "ar"])
def test_admin_pages_speak_the_browser_language(app, client, db, lang):
    page = client.get("/admin/login", headers={"Accept-Language": lang})
    html = page.get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in html
    assert translated(app, lang, "Log in") in html
    user = make_admin()
    log_in(client, user)
    queue = client.get("/admin/", headers={"Accept-Language": lang}).get_data(as_text=True)
    assert translated(app, lang, "Audit trail") in queue


def test_session_cookie_is_locked_down():
    config = {**TEST_CONFIG, "TESTING": False, "SITE_URL": "https://campaign.example", "SESSION_COOKIE_SECURE": None}
    apply_cookie_policy(config)
    assert config["SESSION_COOKIE_SECURE"] is True and config["SESSION_COOKIE_NAME"] == "__Host-session"
    app = create_app(TEST_CONFIG)
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_the_cookie_flags_on_login(app, client, db):
    user = make_admin()
    response = log_in(client, user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_value_the_admin_cannot_use_is_said_in_the_admins_own_page(app, client, db, lang):
    """A moderator who typed a filter into the address gets the admin's layout, the parameter named
    and a way back to the queue, not the readers' error page that offers the letter."""
    from markupsafe import escape

    from .factories import log_in, make_admin

    log_in(client, make_admin())
    answer = client.get("/admin/?after=not-a-number", headers={"Accept-Language": lang})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    with app.test_request_context("/admin/", headers={"Accept-Language": lang}):
        from flask_babel import gettext

        said = gettext("The value given for “%(name)s” is not one this page understands.", name="after")
        back = gettext("Back to the queue")
        moderation = gettext("Moderation")
        readers_offer = gettext("Read the letter")
    assert str(escape(said)) in html and back in html and moderation in html
    assert 'href="/admin/"' in html and readers_offer not in html


@pytest.mark.parametrize("path", ["/admin/signatures/999999", "/admin/letters/no-such-letter", "/admin/no-such-page"])
def test_what_is_not_there_in_the_admin_is_said_in_the_admins_own_page(app, client, db, path):
    """A withdrawn signature's page, a mistyped letter, an address under the admin's that matches
    nothing: the admin's layout and a way back to the queue, not the readers' page."""
    from .factories import log_in, make_admin

    log_in(client, make_admin(role="admin"))
    answer = client.get(path)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 404
    assert "Page not found" in html and "Back to the queue" in html and 'href="/admin/"' in html
    assert "Read the letter" not in html
