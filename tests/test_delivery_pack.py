"""The delivery pack (``flask letters pack``, the admin download, the print page): every name, in
every script, with counts that agree with the names, files that match their manifest, Arabic set
right to left, nothing fetched from the network."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from campaign.models import PublishedTally

from .factories import SHIPPED_LETTER, make_signature, published, shipped_letter, translated, translated_plural

ORGANISATIONS = ["Digital Rights Collective", "منظمة الحقوق الرقمية", "Фонд цифровых прав", "数字权利基金会",
                 "मानव अधिकार मंच"]
# Names without a pre-base vowel sign (ि): a PDF's text layer gives that vowel back in no order a
# search would find, in WeasyPrint's output as in others'.
INDIVIDUALS = [("Ana Souza", "BR"), ("سلمى خالد", "LB"), ("Ольга Петрова", "UA"), ("李明华", "CN"),
               ("सुनीता राव", "IN"), ("Jean Dupont", "FR")]


@pytest.fixture
def signatories(db):
    published(organisation=ORGANISATIONS[0], country="LB", is_drafter=True)
    for name, country in zip(ORGANISATIONS[1:], ("EG", "RU", "CN", "IN")):
        published(organisation=name, country=country)
    for name, country in INDIVIDUALS:
        published(kind="individual", name=name, organisation=None, country=country)
    published(kind="individual", name="Counted Without Name", organisation=None, country="BR", consent_publish=False)


def make_pack(app, tmp_path: Path, lang: str):
    result = app.test_cli_runner().invoke(args=["letters", "pack", SHIPPED_LETTER, "--lang", lang,
                                                "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    files = {path.suffix: path for path in (tmp_path / "out").iterdir()}
    return files, json.loads(files[".json"].read_text(encoding="utf-8"))


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def poppler_text(path: Path) -> str:
    """The PDF's text as pdftotext gives it, without the direction marks it puts around each run and
    without spaces: poppler sets a right-to-left line's runs apart where the page does not."""
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return squeezed(text)


def squeezed(text: str) -> str:
    return "".join(BIDI_CONTROLS.sub("", text).split())


#: The start of the letter's first sentence in each language (letters/ban-biometric-surveillance/).
OPENING = {"en": "We, the undersigned, call for an outright ban on uses of facial recognition",
           "ar": "نحن، الموقّعون أدناه، ندعو إلى حظرٍ تام لاستخدامات تقنيات التعرّف على الوجه"}
#: The table of signatures by country, row by row (country, organisations, individuals): the most
#: signatures first, then by country code. The unnamed individual counts in Brazil's row.
BY_COUNTRY = [("BR", 0, 2), ("CN", 1, 1), ("IN", 1, 1), ("LB", 1, 1), ("EG", 1, 0), ("FR", 0, 1), ("RU", 1, 0),
              ("UA", 0, 1)]


def in_language(app, lang: str, make):
    """``make()`` as a page in ``lang`` would (dates, country names)."""
    from flask_babel import force_locale

    from campaign.web.i18n import describe

    with app.test_request_context(), force_locale(describe(lang).babel_locale):
        return make()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_pdf_lists_every_name_in_every_script_and_the_counts(app, db, signatories, tmp_path, lang):
    import datetime as dt

    from flask_babel import format_date

    from campaign.web.i18n import country_choices

    files, manifest = make_pack(app, tmp_path, lang)
    text = pdf_text(files[".pdf"])
    for name in ORGANISATIONS + [name for name, _ in INDIVIDUALS]:
        assert name in text, name
    assert "Counted Without Name" not in text
    total = translated_plural(app, lang, "%(num)s signature", "%(num)s signatures", 12)
    organisations = translated_plural(app, lang, "%(num)s organisation", "%(num)s organisations", 5)
    assert said(text, total) and said(text, organisations)
    assert translated(app, lang, "Drafting organisations") in text
    assert manifest["count"] == {"organisations": 5, "named_individuals": 6, "unnamed_individuals": 1, "total": 12,
                                 "listed": 11}
    # The letter in the pack's language, its version and its date, and the counts by country.
    assert OPENING[lang] in text
    poppler = poppler_text(files[".pdf"])
    assert squeezed(translated(app, lang, "Version of the text")) in poppler and manifest["version"] in poppler
    published_on = in_language(app, lang, lambda: format_date(dt.date(2021, 6, 7), "long"))
    assert squeezed(translated(app, lang, "Published on %(date)s", date=published_on)) in poppler
    if lang == "en":  # (in Arabic, poppler gives the time's parts out of order)
        made_on = in_language(app, lang, lambda: format_date(dt.datetime.fromisoformat(manifest["made_at"]), "long"))
        assert f"List as of {made_on}" in text
    countries = dict(in_language(app, lang, country_choices))
    table = "".join(f"{countries[code]}{organisations}{individuals}" for code, organisations, individuals in BY_COUNTRY)
    assert squeezed(translated(app, lang, "Signatures by country")) in poppler and squeezed(table) in poppler
    assert_debian_fonts(files[".pdf"])


def embedded_fonts(path: Path) -> dict[str, str]:
    """Each font (subset) the PDF embeds: its name with the subset's tag (``ABCDEF+Noto-Sans-Arabic``),
    and its ToUnicode map (which letters each glyph stands for)."""
    fonts = {}
    for page in PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            to_unicode = font.get("/ToUnicode")
            fonts[str(font["/BaseFont"])] = to_unicode.get_object().get_data().decode("latin-1") if to_unicode else ""
    return fonts


STYLES = {"Regular", "Bold", "Italic", "Oblique", "Light", "Medium", "SemiBold", "Black", "Thin", "ExtraLight"}


def assert_debian_fonts(path: Path) -> None:
    """Every font in the PDF is a family installed from Debian's packages (under /usr/share/fonts,
    as fontconfig lists them): none from the network or from elsewhere on the disk."""
    listed = subprocess.run(["fc-list", ":", "family", "file"], capture_output=True, text=True, check=True).stdout
    families = {family.strip() for line in listed.splitlines() if line.startswith("/usr/share/fonts/")
                for family in line.split(": ", 1)[1].split(",")}
    fonts = {name.split("+", 1)[-1] for name in embedded_fonts(path)}
    assert fonts
    for font in fonts:
        words = font.split("-")
        known = [count for count in range(len(words), 0, -1) if " ".join(words[:count]) in families]
        assert known and set(words[known[0]:]) <= STYLES, f"{font} is not a font Debian installed"


def said(text: str, phrase: str) -> bool:
    """Whether the PDF's text says ``phrase``: a text layer gives a right-to-left line in the order
    it is drawn, so "12 توقيعًا" may come back as "توقيعًا 12" (or the words run together)."""
    words = re.sub("[\u2066-\u2069\u200e\u200f]", "", phrase).split()
    return any(form in text for form in (" ".join(words), " ".join(reversed(words)), "".join(reversed(words))))


def words_with_positions(path: Path) -> list[tuple[str, float, float]]:
    """Each word poppler finds, as drawn (glyphs left to right), with its left edge and its top."""
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [(word, float(x), float(y)) for x, y, word in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" [^>]*>([^<]*)</word>', html)]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_arabic_runs_right_to_left_and_the_arabic_pack_is_laid_out_so(app, db, signatories, tmp_path, lang):
    files, _ = make_pack(app, tmp_path, lang)
    words = words_with_positions(files[".pdf"])
    # Drawn glyph by glyph from left to right, an Arabic word reads backwards, and the name's first
    # word ("سلمى") lies to the right of its second ("خالد"): the run goes from right to left.
    first = next((x, y) for word, x, y in words if word == "سلمى"[::-1])
    second = next((x, y) for word, x, y in words if word == "خالد"[::-1])
    assert first[1] == second[1] and first[0] > second[0]
    # The entry starts at the page's start: the name right of its country in Arabic, left in English.
    country = next((x, y) for word, x, y in words if abs(y - first[1]) < 2 and word in ("Lebanon", "لبنان"[::-1]))
    assert (first[0] > country[0]) == (lang == "ar")
    # Shaped: poppler's text gives each letter back as itself (the PDF maps every glyph to the
    # letters it stands for), so joining shows in the fonts' maps, not in the text. Shaped, a letter
    # is drawn with the glyph of its place in the word (lam and meem, both initial and medial in the
    # names), and lam-alef with one glyph of its own; unshaped, each letter would have one glyph.
    fonts = glyphs_per_text(files[".pdf"])
    assert any(len(forms.get("\u0644", ())) >= 2 and len(forms.get("\u0645", ())) >= 2 for forms in fonts), fonts
    if lang == "ar":  # "لا" is everywhere in the letter: Noto Sans Arabic draws it with one glyph
        assert any(len(text) >= 2 and text[0] == "\u0644" and text[-1] in "\u0627\u0623\u0625\u0622"
                   for forms in fonts for text in forms)


def glyphs_per_text(path: Path) -> list[dict[str, set[str]]]:
    """For each font (subset) of the PDF: what each glyph stands for, and which glyphs stand for it."""
    fonts = []
    for to_unicode in embedded_fonts(path).values():
        forms: dict[str, set[str]] = {}
        for block in re.findall(r"beginbfchar(.*?)endbfchar", to_unicode, re.S):
            for glyph, code in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                text = "".join(chr(int(code[at:at + 4], 16)) for at in range(0, len(code), 4))
                forms.setdefault(text, set()).add(glyph)
        fonts.append(forms)
    return fonts


def test_a_pdf_made_in_parts_numbers_its_pages_on_and_lists_every_name_once_in_order(app, db, tmp_path):
    app.config["PACK_PART_SIZE"] = 9  # 6 parts: the organisations' section and Brazil go on across parts
    published(organisation="Drafting Group", country="DE", is_drafter=True)
    groups = [f"Group {number:02d}" for number in range(14)]
    for name in groups:
        published(organisation=name, country="DE")
    people = {country: [f"Person {country} {number:02d}" for number in range(count)]
              for country, count in (("BR", 17), ("DE", 3), ("KE", 11))}  # Brazil, Germany, Kenya: that order
    for country, names in people.items():
        for name in names:
            published(kind="individual", name=name, organisation=None, country=country)
    files, manifest = make_pack(app, tmp_path, "en")
    assert manifest["count"]["listed"] == 46
    reader = PdfReader(files[".pdf"])
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    title = manifest["title"]
    assert len(pages) > 6
    for number, text in enumerate(pages, start=1):
        # The running header on every page; the first page also opens with the title itself.
        titles = 2 if number == 1 else 1
        assert re.findall(r"\d+ / \d+", text) == [f"{number} / {len(pages)}"] and text.count(title) == titles, number
    text = " ".join(pages)
    names = ["Drafting Group", *groups, *people["BR"], *people["DE"], *people["KE"]]
    assert [text.count(name) for name in names] == [1] * len(names)
    assert [text.index(name) for name in names] == sorted(text.index(name) for name in names)
    # One outline: the countries under "Individuals", each once, though Brazil began in another part.
    outline = reader.outline
    sections = outline[1]
    individuals = sections[sections.index(next(item for item in sections if not isinstance(item, list)
                                               and item.title == "Individuals")) + 1]
    assert [item.title for item in individuals] == ["Brazil", "Germany", "Kenya"]


def test_the_manifest_hashes_the_files_and_the_csv_has_the_same_entries(app, db, signatories, tmp_path):
    import datetime as dt

    from flask_babel import format_date

    files, manifest = make_pack(app, tmp_path, "es")
    assert {entry["name"] for entry in manifest["files"]} == {files[".pdf"].name, files[".csv"].name}
    for entry in manifest["files"]:
        path = tmp_path / "out" / entry["name"]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["bytes"] == path.stat().st_size
    assert manifest["language"] == "es" and manifest["letter"] == SHIPPED_LETTER
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["version"]) and manifest["made_at"]
    assert files[".csv"].read_bytes().startswith(b"\xef\xbb\xbf"), "marked UTF-8, so Excel reads every script"
    rows = list(csv.DictReader(io.StringIO(files[".csv"].read_text(encoding="utf-8-sig"))))
    assert rows[0]["organisation"] == ORGANISATIONS[0] and rows[0]["drafter"] == "yes"  # drafters first
    assert {row["organisation"] for row in rows[1:5]} == set(ORGANISATIONS[1:])
    assert sorted(row["name"] for row in rows if row["kind"] == "individual") == sorted(n for n, _ in INDIVIDUALS)
    assert len(rows) == manifest["count"]["listed"]
    assert all(row["country_name"] for row in rows)
    assert_debian_fonts(files[".pdf"])  # a third language's PDF, Spanish, set in Debian's fonts too
    published_on = in_language(app, "es", lambda: format_date(dt.date(2021, 6, 7), "long"))
    assert squeezed(translated(app, "es", "Published on %(date)s", date=published_on)) in poppler_text(files[".pdf"])



def test_an_entry_published_while_the_pack_reads_is_in_neither_its_counts_nor_its_names(app, db, backend, signatories,
                                                                                        tmp_path, monkeypatch):
    """The pack reads its counts, then its names; a moderator publishes an entry in between, in
    another session, and commits. The publication goes through at once (SQLite too: its write-ahead
    log keeps writers going beside a long read) and the pack's snapshot (REPEATABLE READ on
    PostgreSQL, a read transaction on SQLite) does not see it: its counts and names agree, and
    neither has the new entry."""
    import threading

    from flask import current_app

    from campaign.extensions import db as database
    from campaign.models import AdminUser
    from campaign.moderation import decisions
    from campaign.publication import counts, pack

    late_id = make_signature(status="verified", kind="individual", name="Published Meanwhile", organisation=None,
                             country="KE").id
    moderator_id = db.session.query(AdminUser).filter_by(email="factory@campaign.example").one().id
    meanwhile = tmp_path / "meanwhile.txt"  # what the other session saw: the pack runs in a child process
    read_names = pack.PackList._rows

    def names_after_a_publication(self, *args, **kwargs):
        if not meanwhile.exists():  # the first names the pack reads; its counts are read already
            application = current_app._get_current_object()

            def publish() -> None:
                with application.app_context():  # a session (and connection) of its own
                    try:
                        decisions.approve([late_id], database.session.get_one(AdminUser, moderator_id))
                        meanwhile.write_text("published")
                    except Exception as error:  # noqa: BLE001
                        database.session.rollback()
                        meanwhile.write_text(f"refused: {error}")
                    finally:
                        database.session.remove()

            other = threading.Thread(target=publish)
            other.start()
            other.join(timeout=60)
        return read_names(self, *args, **kwargs)

    monkeypatch.setattr(pack.PackList, "_rows", names_after_a_publication)
    files, manifest = make_pack(app, tmp_path, "en")  # a pack whose names disagreed with its counts would fail

    assert meanwhile.read_text() == "published", "a moderator is not kept waiting by a pack being made"
    assert counts.published_count(shipped_letter().id) == 13  # the entry was there to be seen
    assert manifest["count"] == {"organisations": 5, "named_individuals": 6, "unnamed_individuals": 1, "total": 12,
                                 "listed": 11}
    assert "Published Meanwhile" not in pdf_text(files[".pdf"])
    rows = list(csv.DictReader(io.StringIO(files[".csv"].read_text(encoding="utf-8-sig"))))
    assert len(rows) == 11 and "Published Meanwhile" not in {row["name"] for row in rows}


def test_a_pack_refuses_counts_that_disagree_with_its_names(app, db, signatories, tmp_path):
    db.session.execute(update(PublishedTally).where(PublishedTally.country == "FR").values(count=2))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["letters", "pack", SHIPPED_LETTER, "--lang", "en",
                                                "--output", str(tmp_path / "out")])
    assert result.exit_code == 1 and "letters recount" in result.output


def test_the_command_refuses_an_unknown_letter_or_language(app, db, tmp_path):
    runner = app.test_cli_runner()
    assert "No letter" in runner.invoke(args=["letters", "pack", "nope", "--lang", "en"]).output
    assert "No language" in runner.invoke(args=["letters", "pack", SHIPPED_LETTER, "--lang", "xx"]).output


def test_the_command_says_when_it_cannot_write_where_it_was_told(app, db, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = app.test_cli_runner().invoke(args=["letters", "pack", SHIPPED_LETTER, "--lang", "en",
                                                "--output", str(blocker / "pack")])
    assert result.exit_code == 1 and f"Cannot write the pack to {blocker / 'pack'}" in result.output
    assert "Traceback" not in result.output


def test_the_print_page_lists_every_name_without_search_or_pages(app, client, db):
    for number in range(130):
        published(kind="individual", name=f"Person {number:03d}", organisation=None, country="BR")
    for number in range(105):
        published(organisation=f"Group {number:03d}", country="DE")
    for path in (f"/en/letters/{SHIPPED_LETTER}/print", "/ar/print"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and response.was_streamed
        assert all(f"Person {number:03d}" in html for number in range(130))
        assert all(f"Group {number:03d}" in html for number in range(105))
        assert "<form" not in html and 'rel="next"' not in html
        again = client.get(path, headers={"If-None-Match": response.headers["ETag"].strip('"')})
        assert again.status_code == 304
    assert '<html lang="ar" dir="rtl">' in client.get("/ar/print").get_data(as_text=True)


def test_the_list_page_points_to_the_print_page(app, client, db):
    html = client.get("/en/signatories").get_data(as_text=True)
    assert f'href="/en/print">{translated(app, "en", "Printable list")}</a>' in html
    assert "This page shows part of the list" not in html  # all of it is there: paper says nothing more
    filtered = client.get("/en/signatories?country=KE").get_data(as_text=True)
    assert "https://campaign.example/en/print" in filtered  # said on paper, where the link cannot be followed


def test_the_pdf_fetches_nothing_but_our_own_static_files(app):
    from campaign.publication import pack

    static = Path(app.static_folder)
    fetcher = pack.local_fetcher("https://campaign.example/static/", static)
    assert fetcher("https://campaign.example/static/css/print.css").read()  # type: ignore[attr-defined]
    for url in ("https://fonts.example.net/font.woff2", "https://campaign.example/static/../wsgi.py",
                "file:///etc/passwd", "https://campaign.example.evil.example/static/css/site.css"):
        with pytest.raises(ValueError):
            fetcher(url)  # type: ignore[operator]


def test_a_layout_process_that_dies_is_reported_not_taken_for_a_pack(app, db, signatories, tmp_path, monkeypatch):
    """The PDF is laid out in a child process (its memory goes with it): if that process is killed
    (out of memory, say), the pack fails with a reason, and no file is left that looks like a pack."""
    import os

    from campaign import letters
    from campaign.publication import pack

    monkeypatch.setattr(pack, "lay_out", lambda *args: os._exit(9))
    view = letters.letter_in_language(letters.letter_by_slug(SHIPPED_LETTER), "en")
    with pytest.raises(pack.PackFailed, match="exit code 9"):
        pack.write_pack(view, "en", tmp_path / "out")
    assert not list((tmp_path / "out").glob("*.pdf")) and not list((tmp_path / "out").glob("*.json"))
