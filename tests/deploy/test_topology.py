"""The reference deployment, checked through nginx (``make deploy-test``): the whole journey, a
read spike, a rolling deploy, a backup restored, an app node's death under load, and readers
served while no app node answers. The checks run in this order, on one topology."""

from __future__ import annotations

import re
import time
import uuid

import psycopg
import pyotp

from .conftest import Site
from .topology import Client

LETTER = "ban-biometric-surveillance"


def mail_to(site: Site, address: str, subject_part: str = "", timeout: float = 20):  # noqa: ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in site.smtp.to(address) if subject_part in str(m.message["Subject"])]
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError(f"no mail to {address}")


def link(text: str, part: str) -> str:
    return next(url for url in re.findall(r"https://\S+", text) if part in url)


def moderator(site: Site) -> Client:
    """A moderator created as the README says, logged in through nginx with the second factor."""
    email = f"moderator-{uuid.uuid4().hex[:8]}@example.org"
    output = site.flask("admin", "create", "--role", "moderator", "--password-stdin", email,
                        stdin="a long moderator passphrase\n")
    totp = pyotp.parse_uri(next(line for line in output.splitlines() if line.startswith("otpauth://")))
    client = site.client()
    page = client.request("/admin/login")
    answer = client.request("/admin/login", {"csrf_token": client.hidden(page.body, "csrf_token"), "email": email,
                                             "password": "a long moderator passphrase", "code": totp.now()})
    assert answer.status in (302, 303) and answer.headers["Location"] == "/admin/", answer.body[:500]
    return client


def published_names(site: Site, query: str) -> list[str]:
    answer = site.client().request(f"/api/v1/letters/{LETTER}/signatories?kind=individual&q={query}")
    assert answer.status == 200, answer.body[:300]
    return re.findall(r'"name": ?"([^"]+)"', answer.body)


def test_the_whole_journey_through_nginx(site: Site):
    name = f"Journey {uuid.uuid4().hex[:8]}"
    email = f"journey-{uuid.uuid4().hex[:8]}@example.org"
    person = site.client()

    letter = person.request("/en/")
    assert letter.status == 200 and "strict-transport-security" in {h.lower() for h in letter.headers}  # https seen
    assert person.sign(name, email).status == 303

    message = mail_to(site, email)
    confirm = link(message.text, "/sign/confirm/")
    page = person.request(confirm)
    answer = person.request(confirm, {"csrf_token": person.hidden(page.body, "csrf_token")})
    assert answer.status == 303 and "thank-you" in answer.headers["Location"]

    with psycopg.connect(site.database.replace("+psycopg", "")) as connection:
        (signature_id,) = connection.execute("SELECT id FROM signatures WHERE name = %s", (name,)).fetchone()
    admin = moderator(site)
    queue = admin.request("/admin/")
    assert name in queue.body
    decided = admin.request("/admin/signatures/decide", {
        "csrf_token": admin.hidden(queue.body, "csrf_token"), "back": "/admin/", "ids": str(signature_id),
        "decision": "approve"})
    assert decided.status in (302, 303)

    assert published_names(site, name.split()[-1]) == [name]
    listing = site.client().request(f"/en/signatories?kind=individual&q={name.split()[-1]}")
    assert listing.status == 200 and name in listing.body
