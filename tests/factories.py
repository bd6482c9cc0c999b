"""Plain factory functions and the configuration every test app starts from."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import force_locale, gettext, ngettext

from campaign import letters
from campaign.extensions import db
from campaign.models import Letter, PublishedTally

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_LETTER = "ban-biometric-surveillance"

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "a-test-secret-key-that-is-long-enough-to-pass",
    "SITE_URL": "https://campaign.example",
}

LTR_AND_RTL = ["es", "ar"]


def load_shipped_letters(app: Flask) -> letters.LoadReport:
    return letters.load_letters(Path(app.config["LETTERS_DIR"]), app.config["LANGUAGES"])


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
    from campaign.i18n import describe

    with app.test_request_context(), force_locale(describe(code).babel_locale):
        return gettext(message, **variables)


def translated_plural(app: Flask, code: str, singular: str, plural: str, count: int, **variables) -> str:
    from campaign.i18n import describe

    with app.test_request_context(), force_locale(describe(code).babel_locale):
        return ngettext(singular, plural, count, **variables)
