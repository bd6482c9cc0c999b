"""Every catalogue complete, nothing fuzzy, placeholders intact, and none stale against the code."""

from __future__ import annotations

import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from campaign.web.i18n import describe

from .factories import PROJECT_ROOT, TRANSLATED_LANGUAGES

TRANSLATIONS = PROJECT_ROOT / "translations"
LANGUAGES = TRANSLATED_LANGUAGES


def catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=describe(language).babel_locale)


def message_ids(catalog) -> set:
    return {message.id if isinstance(message.id, str) else tuple(message.id) for message in catalog if message.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    """The strings the code and templates use today, extracted afresh."""
    output = tmp_path_factory.mktemp("extract") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "--no-location", "-o", str(output), "."],
        cwd=PROJECT_ROOT, check=True, capture_output=True,
    )
    with open(output, "rb") as handle:
        return message_ids(read_po(handle))


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete_and_not_fuzzy(language):
    catalog = catalogue(language)
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"
    untranslated = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_placeholders_match(language):
    problems = [(message.id, errors) for message, errors in catalogue(language).check()]
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_current_with_the_code(language, extracted):
    assert message_ids(catalogue(language)) == extracted, "run `make messages` and translate the new strings"


def test_template_catalogue_is_current_with_the_code(extracted):
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        assert message_ids(read_po(handle)) == extracted


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_exists_and_is_newer_than_its_source(language):
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    compiled, source = folder / "messages.mo", folder / "messages.po"
    assert compiled.is_file(), "run `make translations`"
    assert compiled.stat().st_mtime >= source.stat().st_mtime, "run `make translations`"


def test_arabic_plural_forms_are_all_translated():
    catalog = catalogue("ar")
    assert catalog.num_plurals == 6
    plurals = [m for m in catalog if m.id and isinstance(m.id, tuple)]
    assert plurals and all(len(m.string) == 6 and all(m.string) for m in plurals)


def test_the_catalogues_on_disk_are_the_configured_languages():
    """The Makefile compiles what is on disk; the site offers what is configured: they must agree."""
    on_disk = {path.parts[-3] for path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")}
    assert on_disk == set(LANGUAGES)


@pytest.fixture
def strings_asked_for(monkeypatch) -> set:
    """Every message id handed to a catalogue at run time (templates, lazy strings, gettext calls)."""
    from babel import support

    asked: set = set()

    def recording(original, plural: bool):
        if plural:
            def ngettext(self, singular, plural_form, number):
                asked.add((singular, plural_form))
                return original(self, singular, plural_form, number)
            return ngettext

        def gettext(self, message):
            asked.add(message)
            return original(self, message)
        return gettext

    for translations in (support.NullTranslations, support.Translations):
        monkeypatch.setattr(translations, "ugettext", recording(translations.ugettext, plural=False))
        monkeypatch.setattr(translations, "ungettext", recording(translations.ungettext, plural=True))
    return asked


def test_every_string_asked_for_at_run_time_is_in_the_template_catalogue(app, app_config, client, db, smtp,
                                                                          strings_asked_for):
    """What the code hands to gettext while pages and emails are made (email subjects included)
    must have been extracted: a string built at run time, or one never marked, would go out in
    English in every language."""
    from campaign.mail.rendering import SUBJECTS, render

    from .test_security import crawl

    crawl(app, client, db, smtp)
    with app.test_request_context():
        for kind in SUBJECTS:  # the kinds rendered from templates
            for language in ["en", *LANGUAGES]:
                for waited in ({"waited_days": 2, "waited_hours": None}, {"waited_days": None, "waited_hours": 6}):
                    render(kind, language, letter_title="T", signer_name="N", confirm_hours=1, confirm_url="u",
                           withdraw_url="u", not_me_url="u", manage_url="u", waiting=3, queue_url="u", **waited)
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        template = message_ids(read_po(handle))
    assert strings_asked_for, "nothing was recorded: the check itself is broken"
    assert strings_asked_for - template == set()
