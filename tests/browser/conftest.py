"""The real site in a real browser: the app served over HTTP, a real SMTP server, the outbox
worker, and Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from werkzeug.serving import make_server

from campaign import create_app
from campaign.crypto import generate_seal_keypair
from campaign.extensions import db
from campaign.mail import delivery
from campaign.models import AdminRole
from campaign.moderation import accounts

from ..factories import PROJECT_ROOT, load_shipped_letters
from ..smtp_sink import SmtpSink, free_port

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "screenshots"
MODERATOR_PASSWORD = "a long moderator passphrase"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    """Marks the browser tests, and runs them after every other test: their site (a session fixture)
    keeps a server and an outbox worker polling SQLite in threads of this process, and a test that
    forks (the delivery pack lays its PDF out in a forked child) while one of them is inside SQLite
    leaves the child waiting for ever on a lock it inherited held."""
    browser = [item for item in items if "tests/browser/" in str(item.fspath)]
    for item in browser:
        item.add_marker(pytest.mark.browser)
    items[:] = [item for item in items if "tests/browser/" not in str(item.fspath)] + browser


@dataclass
class Site:
    app: object
    url: str
    smtp: SmtpSink
    moderator_email: str
    moderator_secret: str
    last_step: int = -1

    def mail_to(self, address: str, timeout: float = 15.0):
        """The newest message to ``address``, waiting for the outbox worker to send it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.smtp.to(address)
            if found:
                return found[-1]
            time.sleep(0.1)
        raise AssertionError(f"no email to {address}")

    def link(self, message, purpose: str) -> str:
        return re.search(rf"{re.escape(self.url)}/\w+(?:/letters/[\w-]+)?/sign/{purpose}/[\w-]+", message.text).group(0)

    def log_in(self, page) -> None:
        """Log the page's context in as the site's admin, with password and a fresh code."""
        page.goto(f"{self.url}/admin/login")
        page.fill("#email", self.moderator_email)
        page.fill("#password", MODERATOR_PASSWORD)
        page.fill("#code", self.totp())
        page.click("main button[type=submit]")
        page.wait_for_url("**/admin/")

    def totp(self) -> str:
        """An unused code: each is accepted once, so wait for the next 30-second step if needed."""
        totp = pyotp.TOTP(self.moderator_secret)
        while True:
            current = totp.timecode(dt.datetime.now(dt.timezone.utc))
            step = max(current, self.last_step + 1)
            if step <= current + 1:
                self.last_step = step
                return totp.generate_otp(step)
            time.sleep(1)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make test does)")
    smtp = SmtpSink()
    smtp.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app({
        "SECRET_KEY": secrets.token_urlsafe(48),
        "EMAIL_HASH_KEY": secrets.token_urlsafe(48),
        "CLIENT_HASH_KEY": secrets.token_urlsafe(48),
        "SEAL_PUBLIC_KEY": generate_seal_keypair()[0],
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path_factory.mktemp('browser') / 'site.sqlite3'}",
        "SITE_URL": url,
        "MAIL_SERVER": smtp.hostname,
        "MAIL_PORT": smtp.port,
        "SIGN_MIN_SECONDS": 0,
        "SIGN_RATE_LIMIT": "200/minute",
        "ADMIN_LOGIN_RATE_LIMIT": "200/minute",
        "OUTBOX_POLL_SECONDS": 0.2,
    })
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        load_shipped_letters(app)
        moderator = accounts.create_admin("moderator@campaign.example", MODERATOR_PASSWORD, AdminRole.ADMIN)
        secret = moderator.totp_secret
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()

    def work():
        with app.app_context():
            delivery.run_worker(0.2, should_stop=stop.is_set)

    threading.Thread(target=work, daemon=True).start()
    yield Site(app, url, smtp, "moderator@campaign.example", secret)
    stop.set()
    server.shutdown()
    smtp.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic",
                  # as its users increasingly run it: third-party cookies blocked (the embedded form needs none)
                  "--test-third-party-cookie-phaseout"],
        )
        yield browser
        browser.close()


@pytest.fixture
def context_factory(browser):
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots():
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir()
    return SCREENSHOTS
