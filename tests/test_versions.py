"""A letter's versions in the open: each text it has had in a language, what changed word by word, the
letter page's "Updated on", and the notice on a translation whose original changed after it."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from flask import g

from campaign import letters
from campaign.lifecycle import versions
from campaign.web import caches
from campaign.web.i18n import language_name

from .factories import LANGUAGES, SHIPPED_LETTER, translated, write_letter_file
from .test_api import check

SLUG = "a-letter"
FIRST = "We call for a ban on facial recognition.\n\nIt harms everyone."
SECOND = "We, the undersigned, call for a complete ban on facial recognition.\n\nIt harms everyone.\n\nSign it."
ARABIC = "ندعو إلى حظر التعرف على الوجه."
ARABIC_UPDATED = "نحن الموقعين ندعو إلى حظر تام للتعرف على الوجه."


def write_original(folder: Path, body: str, title: str = "A letter") -> None:
    write_letter_file(folder, "en", title, body, published="2024-01-02", contact="letter@example.org",
                      drafted_by=["Org One"])


def load(folder: Path) -> letters.LoadReport:
    return letters.load_letters(folder.parent, LANGUAGES)


@pytest.fixture
def folder(db, tmp_path) -> Path:
    """A letter in English (the original), Arabic and French, loaded once."""
    folder = tmp_path / SLUG
    write_original(folder, FIRST)
    write_letter_file(folder, "ar", "رسالة", ARABIC, translated_from="en")
    write_letter_file(folder, "fr", "Une lettre", "Nous appelons à interdire la reconnaissance faciale.",
                      translated_from="en")
    load(folder)
    return folder


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return unescape(response.get_data(as_text=True))


def visible(html: str) -> str:
    """The page's words without the screen-reader labels of the changes."""
    return re.sub(r'<span class="visually-hidden"[^>]*>[^<]*</span>', "", html)


def test_a_changed_text_makes_a_version_and_its_page_shows_what_changed(app, client, db, folder):
    letter = letters.letter_by_slug(SLUG)
    [first] = versions.history(letter.id, "en")
    assert first.first and first.current and first.diff is None
    html = page(client, f"/en/letters/{SLUG}/versions")
    assert f'id="v-{first.version[:12]}"' in html and first.version in html
    published = letter.published_on
    assert f'<time datetime="{published.isoformat()}">Original publication: ' in html  # as the letter says
    assert "letter__updated" not in page(client, f"/en/letters/{SLUG}")

    write_original(folder, SECOND)
    assert [added[1] for added in load(folder).texts_added] == ["en"]
    newest, oldest = versions.history(letter.id, "en")
    assert oldest.version == first.version and not oldest.current and oldest.first
    assert newest.current and not newest.first and newest.diff.words_changed

    html = visible(page(client, f"/en/letters/{SLUG}/versions"))
    assert html.index(f'id="v-{newest.version[:12]}"') < html.index(f'id="v-{oldest.version[:12]}"')
    assert re.search(r"Updated on [^<]*\d:\d\d:\d\d\W+[AP]M UTC</time>", html), "to the minute: several in a day"
    assert "We<ins>, the undersigned,</ins> call for " in html  # the comma of "We," goes with what was added
    assert "call for a <ins>complete</ins> ban" in html
    assert "<ins>Sign it.</ins>" in html  # a new paragraph, whole
    assert "It harms everyone." not in html  # a paragraph that did not change is left out
    raw = page(client, f"/en/letters/{SLUG}/versions")
    assert '<ins><span class="visually-hidden">Added: </span>' in raw  # screen readers hear the change
    assert "(end of change)" in raw

    letter_page = page(client, f"/en/letters/{SLUG}")
    updated = translated(app, "en", "Updated on %(date)s", date="")
    assert updated in letter_page
    assert f'href="/en/letters/{SLUG}/versions#v-{newest.version[:12]}"' in letter_page


def test_a_removed_word_is_struck_through_and_a_title_change_shows(app, client, db, folder):
    write_original(folder, FIRST.replace("facial recognition", "recognition"), title="A better letter")
    load(folder)
    html = visible(page(client, f"/en/letters/{SLUG}/versions"))
    assert "ban on <del>facial</del> recognition" in html
    assert "<ins>better</ins>" in html and translated(app, "en", "Title:") in html


def test_a_change_of_formatting_alone_says_no_word_changed(app, client, db, folder):
    write_original(folder, FIRST.replace("a ban", "a **ban**"))
    load(folder)
    newest = versions.history(letters.letter_by_slug(SLUG).id, "en")[0]
    assert not newest.diff.words_changed
    html = page(client, f"/en/letters/{SLUG}/versions")
    assert translated(app, "en", "No word changed: only the layout or formatting of the text did.") in html
    assert "<ins>" not in html and "<del>" not in html


def out_of_date_notice(app, lang: str) -> str:
    return translated(app, lang, "The original text of this letter (%(language)s) has changed since this translation "
                                 "was made. Until the translation is updated, it may differ from the original.",
                      language=translated_language_name(app, lang))


def translated_language_name(app, lang: str) -> str:
    """English's name in ``lang`` (الإنجليزية), as a page in that language says it within a sentence."""
    with app.test_request_context():
        g.lang = lang
        return language_name("en", in_sentence=True)


def test_a_language_named_within_a_sentence_keeps_the_case_of_its_reader_s_language(app):
    """"en anglais", "auf Englisch": only a label (a table heading, a choice) starts with a capital."""
    with app.test_request_context():
        for lang, in_sentence, label in [("fr", "anglais", "Anglais"), ("es", "inglés", "Inglés"),
                                         ("de", "Englisch", "Englisch"), ("en", "English", "English")]:
            g.lang = lang
            assert (language_name("en", in_sentence=True), language_name("en")) == (in_sentence, label)


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_a_translation_whose_original_changed_says_so_until_it_is_updated(app, client, db, folder, lang):
    notice = out_of_date_notice(app, lang)
    assert notice not in page(client, f"/{lang}/letters/{SLUG}")  # loaded together: up to date

    write_original(folder, SECOND)
    load(folder)
    original = versions.history(letters.letter_by_slug(SLUG).id, "en")[0]
    for path in (f"/{lang}/letters/{SLUG}", f"/{lang}/letters/{SLUG}/versions"):
        html = page(client, path)
        assert notice in html, path
        assert f'href="/en/letters/{SLUG}"' in html  # the original
        assert f'href="/en/letters/{SLUG}/versions#v-{original.version[:12]}"' in html  # what changed in it
    assert notice not in page(client, f"/en/letters/{SLUG}")  # the original itself is never out of date
    assert "letter__updated" not in page(client, f"/{lang}/letters/{SLUG}")  # its own text did not change

    load(folder)  # loading again changes nothing
    assert notice in page(client, f"/{lang}/letters/{SLUG}")

    write_letter_file(folder, lang, "رسالة" if lang == "ar" else "Une lettre",
                      ARABIC_UPDATED if lang == "ar" else "Nous, signataires, appelons à interdire la reconnaissance "
                                                           "faciale.", translated_from="en")
    load(folder)
    html = page(client, f"/{lang}/letters/{SLUG}")
    assert notice not in html
    newest = versions.history(letters.letter_by_slug(SLUG).id, lang)[0]
    assert '<p class="letter__updated">' in html and f"/versions#v-{newest.version[:12]}" in html
    assert notice not in page(client, f"/{lang}/letters/{SLUG}/versions")
    other = "fr" if lang == "ar" else "ar"
    assert out_of_date_notice(app, other) in page(client, f"/{other}/letters/{SLUG}")  # still behind


def test_letters_load_names_the_translations_left_behind(app, db, folder):
    write_original(folder, SECOND)
    result = app.test_cli_runner().invoke(args=["letters", "load", "--directory", str(folder.parent)])
    assert result.exit_code == 0, result.output
    assert f"loaded {SLUG} [en]" in result.output and re.search(r"^1 text loaded, ", result.output, re.M)
    again = app.test_cli_runner().invoke(args=["letters", "load", "--directory", str(folder.parent)])
    assert re.search(r"^0 texts loaded, ", again.output, re.M), "nothing new the second time"
    assert f"out of date: {SLUG} [ar]" in result.output and f"out of date: {SLUG} [fr]" in result.output
    assert f"out of date: {SHIPPED_LETTER}" not in result.output


def test_an_original_and_its_translation_changed_together_are_in_step(app, client, db, folder):
    write_original(folder, SECOND)
    write_letter_file(folder, "ar", "رسالة", ARABIC_UPDATED, translated_from="en")
    load(folder)
    letter = letters.letter_by_slug(SLUG)
    assert not versions.status(letter.id, "ar", "en").out_of_date
    assert versions.status(letter.id, "fr", "en").out_of_date


def test_an_arabic_change_reads_right_to_left(app, client, db, folder):
    write_letter_file(folder, "ar", "رسالة", ARABIC_UPDATED, translated_from="en")
    load(folder)
    html = visible(page(client, f"/ar/letters/{SLUG}/versions"))
    assert '<html lang="ar" dir="rtl"' in html
    assert '<p lang="ar" dir="rtl"><ins>نحن الموقعين</ins> ندعو إلى حظر <del>التعرف</del> <ins>تام للتعرف</ins>' in html
    assert "أول نص بهذه اللغة: " in html and "حُذف:" in page(client, f"/ar/letters/{SLUG}/versions")


def test_a_language_without_translation_shows_the_original_history(app, client, db, folder):
    html = page(client, f"/de/letters/{SLUG}/versions")
    assert translated(app, "de", "This letter is not yet available in your language. Here is the original text.") in html
    first = versions.history(letters.letter_by_slug(SLUG).id, "en")[0]
    assert f'id="v-{first.version[:12]}"' in html


@pytest.mark.parametrize("path", ["/en/letters/no-such-letter/versions", f"/xx/letters/{SHIPPED_LETTER}/versions",
                                  f"/en/letters/{SHIPPED_LETTER}/versions/more"])
def test_an_unknown_letter_or_language_has_no_versions_page(client, db, path):
    assert client.get(path).status_code == 404


def test_the_featured_letter_has_its_short_address(app, client, db):
    from flask import url_for

    with app.test_request_context():
        assert url_for("versions.page", lang="es", slug=SHIPPED_LETTER) == f"/es/letters/{SHIPPED_LETTER}/versions"
        assert url_for("versions.page", lang="es", slug=None) == "/es/versions"
    title = letters.letter_in_language(letters.letter_by_slug(SHIPPED_LETTER), "es").text.title
    assert f">{title}</a>" in page(client, "/es/versions")


class TestWithPagesKept:
    """Pages kept per process, as in production: each letter and language has its own."""

    @pytest.fixture
    def app_config(self, app_config) -> dict:
        return {**app_config, "LETTER_PAGE_CACHE_SECONDS": 60}

    def test_each_letter_and_language_is_kept_apart_and_public(self, app, client, db, folder):
        assert caches.versions_key(SLUG, "en") != caches.versions_key(SLUG, "ar") != caches.versions_key(None, "ar")
        english = page(client, f"/en/letters/{SLUG}/versions")
        arabic = page(client, f"/ar/letters/{SLUG}/versions")
        shipped = page(client, f"/en/letters/{SHIPPED_LETTER}/versions")
        assert ">A letter</a>" in english and ">رسالة</a>" in arabic and "global ban" in shipped
        assert caches.get(caches.versions_key(SLUG, "en")) is not None
        response = client.get(f"/en/letters/{SLUG}/versions")
        assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"].startswith("public")


def test_the_api_lists_every_version_by_language(app, client, db, folder):
    write_original(folder, SECOND)
    load(folder)
    document = client.get("/api/v1/openapi.json").json
    response = client.get(f"/api/v1/letters/{SLUG}/versions")
    check(document, response, "Versions")
    data = {entry["language"]: entry for entry in response.json["data"]}
    assert [entry["language"] for entry in response.json["data"]] == ["en", "ar", "fr"]
    assert data["en"]["original"] and not data["en"]["out_of_date"] and data["ar"]["out_of_date"]
    newest, oldest = data["en"]["versions"]
    assert newest["current"] and not oldest["current"]
    assert newest["link"] == f"https://campaign.example/en/letters/{SLUG}/versions#v-{newest['version'][:12]}"
    assert client.get(f"/api/v1/letters/{SLUG}").json["links"]["versions"].endswith(f"/letters/{SLUG}/versions")
    assert client.get("/api/v1/letters/no-such-letter/versions").status_code == 404


def run(kind: str, text: str, space_after: bool = False) -> versions.Segment:
    return versions.Segment(kind, text, space_after)


def test_paragraphs_are_compared_first_then_the_words_within_them():
    same, added, removed = versions.SAME, versions.ADDED, versions.REMOVED
    diff = versions.compare("T", "One two three.\n\nKeep this.\n\nGone now.\n\nLast.",
                            "T", "One 2 three.\n\nKeep this.\n\nLast.\n\nNew paragraph.")
    assert diff.body == (
        (run(same, "One", True), run(removed, "two", True), run(added, "2", True), run(same, "three.")),
        (run(same, "Keep this."),), (run(removed, "Gone now."),), (run(same, "Last."),), (run(added, "New paragraph."),),
    )
    assert diff.changed_paragraphs == (diff.body[0], diff.body[2], diff.body[4]) and not diff.title_changed
    # punctuation is compared apart from its word
    assert versions.compare("T", "A ban, now.", "T", "A ban now.").body == (
        (run(same, "A ban", True), run(removed, ",", True), run(same, "now.")),)
    assert versions.compare("Old title", "x", "New title", "x").title == (
        run(removed, "Old", True), run(added, "New", True), run(same, "title"))
    assert not versions.compare("T", "Hello **world**.\n\n- one\n- two", "T", "Hello world.\n\n* one\n* two").words_changed


def test_text_blocks_are_what_a_reader_reads():
    assert letters.text_blocks("# Head\n\nA *b* [c](https://x.example) `d`\nnext.\n\n1. one\n2. two") == [
        "Head", "A b c d next.", "one", "two"]
