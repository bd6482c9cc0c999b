"""Headers on every response, no inline code or foreign origins, hosts, HTTPS, secrets, failure."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import template_rendered
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from campaign import create_app, letters
from campaign.config import ConfigError
from campaign.crypto import generate_seal_keypair, new_token, token_digest
from campaign.extensions import db
from campaign.lifecycle import timeline
from campaign.mail import updates
from campaign.models import Signature, TimelineKind, TokenPurpose, UpdateDelivery, utcnow
from campaign.publication import partners
from campaign.signing import rules as signing

from .factories import (
    PROJECT_ROOT,
    TEST_CONFIG,
    csrf_token,
    links_in,
    log_in,
    make_admin,
    make_signature,
    published,
    shipped_letter,
    sign,
)
from .tcp_proxy import TcpProxy
from .test_signing import csrf_of, deliver, expire_tokens

SITE = "https://campaign.example"
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


#: The one page whose form may lead elsewhere: the Mastodon page's form ends in a redirect to the
#: reader's server, which browsers check against the form page's ``form-action``.
FORMS_LEAD_TO_HTTPS = ("/ar/share/mastodon", "/en/share/mastodon?instance=evil.example/path")


#: Pages whose policy adds to the site's: an update's page frames its own email preview.
POLICY_ADDITIONS = {"update-page": "; frame-src 'self'"}


def assert_security_headers(response, path: str) -> None:
    for name, value in HEADERS.items():
        if name == "Content-Security-Policy" and path in FORMS_LEAD_TO_HTTPS:
            value = value.replace("form-action 'self'", "form-action 'self' https:")
        if name == "Content-Security-Policy":
            value += POLICY_ADDITIONS.get(path, "")
        assert response.headers.get(name) == value, (path, name)
    assert "camera=()" in response.headers["Permissions-Policy"] and "geolocation=()" in response.headers["Permissions-Policy"]
    assert response.headers.get("Cross-Origin-Resource-Policy") in ("same-origin", "cross-origin")


class PageAudit(HTMLParser):
    """Collects inline code, inline styles and every resource a page would load (a script only from
    our own static files: progressive enhancement, e.g. the share component's copy button)."""

    RESOURCE_ATTRIBUTES = {"script": "src", "img": "src", "iframe": "src", "link": "href", "form": "action",
                           "source": "src", "video": "src", "audio": "src", "object": "data", "embed": "src"}

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.resources: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.in_script = tag == "script"
        if tag == "style" or (tag == "script" and not (attributes.get("src") or "").startswith("/static/")):
            self.problems.append(f"<{tag}> element")
        if "style" in attributes:
            self.problems.append(f"style attribute on <{tag}>")
        self.problems += [f"{name} handler on <{tag}>" for name in attributes if name.startswith("on")]
        resource = attributes.get(self.RESOURCE_ATTRIBUTES.get(tag, ""))
        if resource:
            self.resources.append(resource)
        if tag == "a" and (attributes.get("href") or "").lower().startswith("javascript:"):
            self.problems.append("javascript: link")

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append("inline code in <script>")


def crawl(app, client, db, smtp) -> dict[str, object]:
    """Every page type the site renders, with the response of each."""
    published(organisation="Listed Org", website="https://listed.example")
    make_signature(organisation="Queued Org")
    responses = {}
    for path in ("/en/", "/ar/", "/en/letters/ban-biometric-surveillance", "/ar/signatories", "/en/signatories.csv",
                 "/es/sign", "/en/sign/check-your-inbox", "/en/sign/thank-you", "/en/sign/withdrawn",
                 "/en/sign/not-me-done", "/en/privacy", "/ar/accessibility", "/en/nope", "/ar/sign/confirm/bad-token",
                 "/embed/ban-biometric-surveillance/counter", "/api/v1/letters/ban-biometric-surveillance",
                 "/api/v1/openapi.json", "/healthz", "/static/css/site.css", "/static/img/icon.svg", "/admin/login",
                 "/en/timeline", "/ar/timeline.atom", "/ar/print", "/api/v1/letters/ban-biometric-surveillance/timeline",
                 "/ar/versions", "/en/letters/ban-biometric-surveillance/versions",
                 "/api/v1/letters/ban-biometric-surveillance/versions",
                 "/ar/letters/ban-biometric-surveillance/snapshots", "/api/v1/letters/ban-biometric-surveillance/snapshots",
                 "/static/js/share.js", "/ar/share/mastodon", "/en/share/mastodon?instance=mastodon.social",
                 "/en/share/mastodon?instance=evil.example/path"):
        responses[path] = client.get(path)
    card = re.search(r'og:image" content="https://campaign\.example(/[^"]+)"', responses["/ar/"].get_data(as_text=True))
    responses["card"] = client.get(card.group(1))
    responses["sign-errors"] = client.post("/en/sign", data={"kind": "individual", **csrf_of(client, "/admin/login")})
    sign(client)
    deliver(app)
    links = links_in(smtp.wait_for(1)[0].text)
    manage = re.search(r"https://campaign\.example(/\w+/sign/manage/[\w-]+)", smtp.messages[0].text).group(1)
    for name, path in (("confirm", links["confirm"]), ("withdraw", links["withdraw"]), ("not-me", links["not-me"]),
                       ("manage", manage)):
        responses[name] = client.get(path)
    queued = db.session.scalar(select(Signature.id).where(Signature.organisation == "Queued Org"))
    expire_tokens(db, TokenPurpose.CONFIRM)
    expire_tokens(db, TokenPurpose.WITHDRAW)
    responses["confirm-expired"] = client.get(links["confirm"])
    responses["withdraw-expired"] = client.get(links["withdraw"])
    embedded = client.get("/embed/ban-biometric-surveillance/sign?lang=ar")
    responses["embed-sign"] = embedded
    stamp = re.search(r'name="started" type="hidden" value="([^"]+)"', embedded.get_data(as_text=True)).group(1)
    responses["embed-check-inbox"] = client.post("/embed/ban-biometric-surveillance/sign?lang=ar", data={
        "started": stamp, "kind": "individual", "name": "Framed Signer", "country": "LB", "email": "framed@example.org"})
    responses["too-large"] = client.post("/en/sign", data={"comment": "x" * 70_000})
    responses["method-not-allowed"] = client.post("/en/")
    app.config["SIGN_RATE_LIMIT"] = "1/minute"
    for _ in range(2):
        responses["rate-limited"] = client.post("/en/sign", data={})  # the form back, filled in
        responses["rate-limited-page"] = client.post("/en/sign/send-again", data=csrf_of(client, "/admin/login"))
    signing.set_signing_paused(True)
    responses["paused"] = client.get("/en/sign")
    signing.set_signing_paused(False)
    letter = shipped_letter()
    letter.closes_at = utcnow()
    db.session.commit()
    responses["closed"] = client.get("/en/sign")
    letter.closes_at = None
    db.session.commit()
    admin = make_admin("admin@campaign.example", role="admin")
    log_in(client, admin)
    for path in ("/admin/", "/admin/audit", "/admin/accounts", "/admin/mail", "/admin/import", "/admin/export.csv",
                 f"/admin/signatures/{queued}", f"/admin/accounts/{admin.id}", "/admin/stats", "/admin/letters",
                 "/admin/letters/ban-biometric-surveillance", "/admin/letters/ban-biometric-surveillance/packs",
                 "/admin/partners", "/admin/?after=not-a-number", "/admin/signatures/999999"):
        responses[path] = client.get(path)
    responses["form-expired"] = client.post("/admin/signing", data={"paused": "1"})
    partner, partner_token = partners.create("Rights Network", "rights-net", admin)
    responses["partner-new-link"] = client.get(f"/admin/partners/{partner.id}/link")
    responses["partner-revoke"] = client.get(f"/admin/partners/{partner.id}/revoke")
    responses["partner-page"] = app.test_client().get(f"/ar/partners/{partner_token}")
    update = updates.create(shipped_letter(), admin)
    updates.save_text(update, "en", "News", "We met the **ministry**.", admin)
    for path in ("/admin/updates", f"/admin/updates/{update.id}/ar"):
        responses[path] = client.get(path)
    responses["update-page"] = client.get(f"/admin/updates/{update.id}")
    responses["update-delete"] = client.get(f"/admin/updates/{update.id}/delete")
    responses["form-carried"] = client.post("/admin/signing", data={"paused": "1"},
                                            headers={"Origin": "http://localhost"})  # sent again, shown
    stop = new_token()
    db.session.add(UpdateDelivery(update_id=update.id, signature_id=queued, stop_hash=token_digest(stop)))
    db.session.commit()
    responses["updates-stop"] = app.test_client().get(f"/en/updates/stop/{stop}")
    responses["updates-stopped"] = app.test_client().post(f"/en/updates/stop/{stop}")
    responses["updates-stop-unknown"] = app.test_client().get(f"/en/updates/stop/{stop[:-4]}")
    event = timeline.record_event(letters.LetterInfo.of(shipped_letter()), TimelineKind.DELIVERED, utcnow(),
                                  {"en": timeline.Words("Handed over")}, None, None, None, "test")
    for path in ("/admin/letters/ban-biometric-surveillance/close-now",
                 f"/admin/letters/ban-biometric-surveillance/timeline/{event.id}/remove",
                 f"/admin/letters/ban-biometric-surveillance/timeline/{event.id}/edit"):
        responses[path] = client.get(path)
    responses["account-link"] = client.post("/admin/accounts", data={
        "csrf_token": csrf_token(client, "/admin/accounts"), "email": "new@campaign.example", "role": "moderator"})
    setup = re.search(r'value="https://campaign\.example(/admin/setup/[\w-]+)"', responses["account-link"].get_data(
        as_text=True)).group(1)
    responses["account-setup"] = app.test_client().get(setup)
    responses["account-setup-invalid"] = app.test_client().get("/admin/setup/not-a-link")
    return responses


def failing_responses(app_config) -> dict[str, object]:
    """The pages of unexpected errors and of an unreachable database, from an app with failing routes."""
    app = create_app({**app_config, "PROPAGATE_EXCEPTIONS": False})

    def explode():
        raise RuntimeError("boom")

    def database_gone():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    app.add_url_rule("/en/explode", "explode", explode)
    app.add_url_rule("/en/database-gone", "database_gone", database_gone)
    client = app.test_client()
    return {"error-500": client.get("/en/explode"), "error-503": client.get("/en/database-gone")}


def test_every_page_type_is_self_contained_and_guarded(app, app_config, client, db, smtp):
    rendered = set()

    def remember(sender, template, context, **extra):
        rendered.add(template.name)

    with template_rendered.connected_to(remember):
        responses = crawl(app, client, db, smtp)
        failures = failing_responses(app_config)
    assert failures["error-500"].status_code == 500 and failures["error-503"].status_code == 503
    for path, response in responses.items():
        assert response.status_code < 500 or path == "paused", path
    responses.update(failures)
    for path, response in responses.items():
        if path != "/embed/ban-biometric-surveillance/counter":
            assert_security_headers(response, path)
        if response.mimetype == "text/html":
            audit = PageAudit()
            audit.feed(response.get_data(as_text=True))
            assert audit.problems == [], (path, audit.problems)
            foreign = [url for url in audit.resources if re.match(r"^(https?:)?//", url) and not url.startswith(SITE)]
            assert foreign == [], (path, foreign)
    pages = {str(path.relative_to(PROJECT_ROOT / "templates")) for path in (PROJECT_ROOT / "templates").rglob("*.html")
             if not path.name.startswith("_") and path.parent.name not in ("email", "macros")
             and path.name != "base.html"}
    assert pages - rendered == set(), "every page template is checked"


@pytest.mark.parametrize("path", ["/en/", "/en/signatories", "/en/signatories.csv", "/api/v1/openapi.json",
                                  "/en/sign/thank-you", "/ar/share/mastodon", "/ar/share/mastodon?instance=x.example",
                                  "/embed/ban-biometric-surveillance/counter", "/en/privacy", "/en/accessibility",
                                  "/static/css/site.css", "/healthz", "/en/nope"])
def test_readers_get_no_cookie(client, path):
    assert "Set-Cookie" not in client.get(path).headers


def test_the_sign_form_sets_no_cookie_and_is_the_same_for_every_reader(client, app):
    """Its token is the time stamp made with the page: nothing ties it to one reader."""
    app.config["LETTER_PAGE_CACHE_SECONDS"] = 60  # (tests turn the cache off: each page would be made anew)
    first, second = client.get("/en/sign"), app.test_client().get("/en/sign")
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
    assert first.get_data() == second.get_data() and first.headers["Cache-Control"].startswith("public")


def test_signing_sets_only_the_session_cookie_that_carries_the_submission_to_the_next_page(client):
    from .factories import sign

    cookies = sign(client).headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("session=") and "HttpOnly" in cookies[0]


@pytest.mark.parametrize("path", ["/en/sign/check-your-inbox", "/admin/login"])
def test_forms_and_token_pages_are_never_stored(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_a_foreign_host_is_refused(app_config):
    app = create_app({**app_config, "TRUSTED_HOSTS": ["campaign.example"]})
    client = app.test_client()
    assert client.get("/healthz", base_url="https://campaign.example").status_code == 200
    refused = client.get("/en/", base_url="https://evil.example")
    assert refused.status_code == 400 and "evil.example" not in refused.get_data(as_text=True)


def test_production_trusts_only_the_site_host():
    production = {**TEST_CONFIG, "TESTING": False, "SECRET_KEY": "s" * 40, "SITE_URL": "https://letter.example.org",
                  "SEAL_PUBLIC_KEY": generate_seal_keypair()[0]}
    app = create_app(production)
    assert app.config["TRUSTED_HOSTS"] == ["letter.example.org"]


def test_plain_http_is_redirected_when_https_is_forced(app, client):
    app.config["FORCE_HTTPS"] = True
    response = client.get("/en/signatories?country=BR", base_url="http://campaign.example")
    assert response.status_code == 301 and response.headers["Location"] == f"{SITE}/en/signatories?country=BR"
    assert client.post("/en/sign", base_url="http://campaign.example").status_code == 308
    assert client.get("/en/", base_url=SITE).status_code == 200
    assert client.get("/healthz", base_url="http://campaign.example").status_code == 200


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/en/").headers
    assert client.get("/en/", base_url=SITE).headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_debug_is_refused_on_a_public_site():
    with pytest.raises(ConfigError, match="Debug mode"):
        create_app({"DEBUG": True, "SITE_URL": "https://letter.example.org"})


def test_secret_rotation_keeps_sessions_valid(app, app_config, client, db):
    admin = make_admin()
    log_in(client, admin)
    assert client.get("/admin/").status_code == 200
    rotated = create_app({**app_config, "SECRET_KEY": "a-brand-new-secret-key-after-rotation-xx",
                          "SECRET_KEY_FALLBACKS": [app_config["SECRET_KEY"]]})
    other = rotated.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    assert other.get("/admin/").status_code == 200
    forgotten = create_app({**app_config, "SECRET_KEY": "a-brand-new-secret-key-after-rotation-xx"})
    third = forgotten.test_client()
    third.set_cookie("session", client.get_cookie("session").value)
    assert third.get("/admin/").status_code == 302


def test_the_database_going_down_gives_503_and_the_site_recovers(app, app_config, backend):
    """A real outage: every connection to PostgreSQL is cut, then the server comes back."""
    if backend != "postgresql":
        pytest.skip("SQLite is a file inside the app process: it has no server to go down")
    url = make_url(app_config["SQLALCHEMY_DATABASE_URI"])
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxied = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": through_proxy})
    client = proxied.test_client()
    try:
        assert client.get("/en/").status_code == 200
        proxy.stop()
        down = client.get("/en/")
        assert down.status_code == 503 and down.headers["Retry-After"] == "10"
        assert client.get("/healthz").status_code == 503
        proxy.start()
        assert client.get("/en/").status_code == 200
        assert client.get("/healthz").status_code == 200
    finally:
        proxy.stop()
        with proxied.app_context():
            db.engine.dispose()
