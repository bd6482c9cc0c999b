"""Every catalogue complete, nothing fuzzy, placeholders intact, and none stale against the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from .factories import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "translations"
LANGUAGES = ["es", "fr", "pt", "de", "ar"]


def catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language.replace("pt", "pt_BR"))


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
