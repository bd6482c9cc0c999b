"""Plain factory functions and the configuration every test app starts from."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask_babel import force_locale, gettext, ngettext

from campaign import letters
from campaign.config import DefaultConfig
from campaign.extensions import db
from campaign.models import Letter, PublishedTally

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_LETTER = "ban-biometric-surveillance"
#: The languages the site is configured with, the original (default) first: the one list tests use.
LANGUAGES = list(DefaultConfig.LANGUAGES)
TRANSLATED_LANGUAGES = [code for code in LANGUAGES if code != DefaultConfig.DEFAULT_LANGUAGE]

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "a-test-secret-key-that-is-long-enough-to-pass",
    "EMAIL_HASH_KEY": "a-test-key-for-email-hashes-long-enough-to-pass",
    "CLIENT_HASH_KEY": "a-test-key-for-client-hashes-long-enough-to-pass",
    "SITE_URL": "https://campaign.example",
    "MAIL_SUPPRESS_SEND": False,
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 9,  # nothing listens: tests that send mail use the smtp fixture
    "SIGN_MIN_SECONDS": 0,
    "SIGN_RATE_LIMIT": "1000/minute",
    # The day's cap of emails to one address, smaller than the default (ten) so that tests reach it
    # in a few signatures; tests/test_signers.py holds the default itself.
    "VERIFICATION_EMAIL_LIMIT": "3/day",
    "ADMIN_LOGIN_RATE_LIMIT": "1000/minute",
    "LETTER_PAGE_CACHE_SECONDS": 0,
}

LTR_AND_RTL = ["es", "ar"]


def load_shipped_letters(app: Flask, *, list_drafters: bool = True) -> letters.LoadReport:
    """The shipped letter, as ``flask letters load`` loads it; ``list_drafters=False`` leaves its list
    empty (most tests count what they add; the ``drafters`` fixture lists the drafters too)."""
    return letters.load_letters(Path(app.config["LETTERS_DIR"]), app.config["LANGUAGES"], list_drafters=list_drafters)


def shipped_letter() -> Letter:
    found = letters.letter_by_slug(SHIPPED_LETTER)
    assert found is not None
    return found


def publish_tally(letter: Letter, kind: str, country: str, count: int) -> PublishedTally:
    tally = PublishedTally(letter_id=letter.id, kind=kind, country=country, count=count)
    db.session.add(tally)
    db.session.commit()
    return tally


def write_letter_file(folder: Path, language: str, title: str, body: str, **meta) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["---", f"slug: {folder.name}", f"language: {language}", f'title: "{title}"']
    for key, value in meta.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"  - {item}" for item in value)
        else:
            lines.append(f"{key}: {value}")
    lines.extend(["---", "", body])
    path = folder / f"{language}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def translated(app: Flask, code: str, message: str, **variables) -> str:
    """What the catalogue of ``code`` says for ``message``: tests compare pages against it."""
    from campaign.web.i18n import describe

    with app.test_request_context(), force_locale(describe(code).babel_locale):
        return gettext(message, **variables)


def translated_plural(app: Flask, code: str, singular: str, plural: str, count: int, **variables) -> str:
    from campaign.web.i18n import describe

    with app.test_request_context(), force_locale(describe(code).babel_locale):
        return ngettext(singular, plural, count, **variables)


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields a browser would send back with a form (CSRF token, form stamp)."""
    return dict(re.findall(r'<input id="[^"]*" name="(csrf_token|started)" type="hidden" value="([^"]*)">', html))


#: Every signer's address the factories below handed out in the running test (``signature_data``,
#: so ``sign`` and any post built from it, and ``make_signature``), their defaults included: the one
#: list a test of the purge greps a database dump for. Emptied before each test (conftest).
SIGNER_ADDRESSES: set[str] = set()


def signature_data(**overrides) -> dict[str, str]:
    data = {
        "kind": "organisation",
        "name": "Amal Haddad",
        "organisation": "Digital Rights Collective",
        "role": "Director",
        "country": "LB",
        "city": "Beirut",
        "website": "https://rights.example.org",
        "email": "amal@rights.example.org",
        "comment": "Glad to support.",
        "consent_publish": "y",
    }
    data.update(overrides)
    if data.get("email"):
        SIGNER_ADDRESSES.add(data["email"])
    return {key: value for key, value in data.items() if value is not None}


def sign(client, lang: str = "en", **overrides):
    """Fill in and submit the sign form as a browser would; returns the POST response."""
    page = client.get(f"/{lang}/sign")
    assert page.status_code == 200
    return client.post(f"/{lang}/sign", data={**form_fields(page.get_data(as_text=True)), **signature_data(**overrides)})


def links_in(text: str) -> dict[str, str]:
    """The confirm, withdraw and not-me links of an email (as paths), keyed by purpose."""
    pattern = r"https://campaign\.example(/\w+(?:/letters/[\w-]+)?/sign/(confirm|withdraw|not-me)/[\w-]+)"
    return {match.group(2): match.group(1) for match in re.finditer(pattern, text)}


ADMIN_PASSWORD = "correct horse battery staple 42"


def make_admin(email: str = "mod@campaign.example", role: str = "moderator", password: str = ADMIN_PASSWORD):
    from campaign.models import AdminRole
    from campaign.moderation import accounts

    return accounts.create_admin(email, password, AdminRole(role), actor_label="test")


def totp_code(user, offset_steps: int = 0) -> str:
    """A valid code for ``user`` that has not been used yet (codes work once)."""
    import datetime as dt

    import pyotp

    db.session.refresh(user)
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(dt.datetime.now(dt.timezone.utc))
    step = max(current, (user.totp_last_step or -10) + 1) + offset_steps  # still valid if the clock ticks over
    assert step <= current + 1, "no unused code left in this 30-second window"
    return totp.generate_otp(step)


def log_in(client, user, password: str = ADMIN_PASSWORD, code: str | None = None, next_path: str | None = None):
    page = client.get("/admin/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    url = "/admin/login" + (f"?next={next_path}" if next_path else "")
    return client.post(url, data={"csrf_token": token, "email": user.email if hasattr(user, "email") else user,
                                  "password": password, "code": code if code is not None else totp_code(user)})


def csrf_token(client, path: str = "/admin/") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html).group(1)


def make_signature(status: str = "verified", kind: str = "organisation", email: str | None = None, **fields):
    """A signature stored directly, in any state, built by the same rules as the sign form's."""
    from campaign import letters
    from campaign.extensions import upsert
    from campaign.models import Signature, SignatureStatus, utcnow
    from campaign.signing import rows
    from campaign.signing.fields import FIELD_NAMES, details_from
    from campaign.web.forms import checked_email

    letter = shipped_letter()
    view = letters.letter_in_language(letter, "en")
    number = db.session.query(Signature).count() + 1
    email = email or f"signer{number}@example{number}.org"
    SIGNER_ADDRESSES.add(email)
    given = dict.fromkeys(FIELD_NAMES) | {
        "kind": kind, "name": f"Signer {number}", "organisation": f"Organisation {number}" if kind == "organisation"
        else None, "country": "BR", "consent_publish": True, "consent_updates": False,
    }
    given.update({name: value for name, value in fields.items() if name in FIELD_NAMES})
    columns = {name: value for name, value in fields.items() if name not in FIELD_NAMES}  # e.g. created_at
    row = rows.signature_row(
        letter.id, details_from(given), status=SignatureStatus(status), language="en",
        letter_version=view.text.version, source="form", now=utcnow(),
        address=rows.address_columns(checked_email(email)),
    ) | columns
    table = Signature.__table__
    signature_id = db.session.execute(upsert(table).values(row).returning(table.c.id)).scalar()
    db.session.commit()
    return db.session.get(Signature, signature_id)


def published(**fields):
    """A signature published the way a moderator would, so counts and history follow."""
    from campaign.models import AdminUser
    from campaign.moderation import decisions as moderation

    moderator = db.session.query(AdminUser).filter_by(email="factory@campaign.example").one_or_none() \
        or make_admin("factory@campaign.example")
    signature = make_signature(status="verified", **fields)
    moderation.approve([signature.id], moderator)
    db.session.refresh(signature)
    return signature
