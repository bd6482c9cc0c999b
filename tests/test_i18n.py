"""Languages in the URL, Accept-Language negotiation, and the lang/dir/hreflang of every page type."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from campaign.web import i18n

from .factories import LANGUAGES, LTR_AND_RTL, translated

SITE = "https://campaign.example"
#: Each configured language's BCP 47 tag, as pages declare it (``pt`` is Brazilian: see the test below).
LANGUAGE_TAGS = {code: i18n.describe(code).tag for code in LANGUAGES}


def test_a_language_s_tag_names_its_region_only_where_the_plain_code_would_pick_another():
    assert i18n.describe("pt").tag == "pt-BR" and i18n.describe("pt").babel_locale == "pt_BR"
    assert [i18n.describe(code).tag for code in ("en", "es", "ar")] == ["en", "es", "ar"]


@pytest.mark.parametrize(
    "header, expected",
    [
        ("pt-BR,pt;q=0.9,en;q=0.5", "/pt/"),
        ("pt-PT", "/pt/"),
        ("ar-EG", "/ar/"),
        ("de-CH, en;q=0.2", "/de/"),
        ("fr;q=0.1, es;q=0.9", "/es/"),
        ("ES", "/es/"),
        ("zh-CN, ja", "/en/"),
        ("", "/en/"),
        (None, "/en/"),
        ("*", "/en/"),
    ],
)
def test_root_redirects_to_best_language(client, header, expected):
    headers = {"Accept-Language": header} if header is not None else {}
    response = client.get("/", headers=headers)
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize(
    "header",
    [
        ";;;,,,",
        "ar;q=abc",
        "en;q=",
        "q=0.5",
        "de;q=1.5, es;q=-1",
        "x" * 5000,
        "\x00ar",
        "ar-\udcff",
        "fr;level=1;q=0.5;;;",
        "*;q=0.1, ar;q=0.0",
    ],
)
def test_malformed_accept_language_never_fails(client, header):
    response = client.get("/", headers={"Accept-Language": header.encode("utf-8", "surrogateescape").decode("latin-1")})
    assert response.status_code == 302
    assert re.fullmatch(r"/(en|es|fr|pt|de|ar)/", response.headers["Location"])


def test_unknown_language_prefix_is_not_found(client):
    assert client.get("/xx/").status_code == 404
    assert client.get("/EN/").status_code == 404


def _head_links(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


@pytest.mark.parametrize("code", LTR_AND_RTL)
@pytest.mark.parametrize(
    "path", ["/{code}/", "/{code}/letters/ban-biometric-surveillance"], ids=["letter", "letter-by-slug"]
)
def test_pages_declare_language_direction_and_alternates(client, code, path):
    response = client.get(path.format(code=code))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    direction = "rtl" if code == "ar" else "ltr"
    assert f'<html lang="{LANGUAGE_TAGS[code]}" dir="{direction}">' in html

    links = _head_links(html)
    assert set(links) == set(LANGUAGE_TAGS.values()) | {"x-default"}
    for other, tag in LANGUAGE_TAGS.items():
        assert links[tag] == SITE + path.format(code=other)
    assert links["x-default"] == SITE + path.format(code="en")
    assert f'<link rel="canonical" href="{SITE}{path.format(code=code)}">' in html


@pytest.mark.parametrize("code", LTR_AND_RTL)
def test_language_switch_leads_to_the_same_page(client, code):
    html = client.get(f"/{code}/letters/ban-biometric-surveillance").get_data(as_text=True)
    switch = html.split('class="language-switch"', 1)[1].split("</nav>", 1)[0]
    targets = re.findall(r'<a href="([^"]+)" hreflang="([^"]+)" lang="[^"]+" dir="(ltr|rtl)"', switch)
    assert {href for href, _, _ in targets} == {
        f"{SITE}/{other}/letters/ban-biometric-surveillance" for other in LANGUAGE_TAGS
    }
    assert ("العربية" in switch) and ("Español" in switch) and ("Português" in switch)
    assert 'aria-current="page"' in switch


@pytest.mark.parametrize("code", LTR_AND_RTL)
def test_not_found_page_is_in_the_language_of_the_path(client, code):
    response = client.get(f"/{code}/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    direction = "rtl" if code == "ar" else "ltr"
    assert f'<html lang="{code}" dir="{direction}">' in html
    expected = translated(client.application, code, "Page not found")
    assert expected != "Page not found"
    assert f"<h1>{expected}</h1>" in html


@pytest.mark.parametrize("header, code", [("ar", "ar"), ("es-MX", "es")])
def test_not_found_outside_a_language_prefix_negotiates(client, header, code):
    html = client.get("/no-such-page", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{code}"' in html


def test_a_new_language_is_served_with_no_code_edit(tmp_path, database_url):
    """Italian, added the way a translator would: a catalogue and a letter file, in folders of its
    own, named in the settings. The site serves it without any change to the code."""
    import shutil

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from campaign import create_app
    from campaign.config import DefaultConfig
    from campaign.extensions import db

    from .factories import PROJECT_ROOT, TEST_CONFIG, load_shipped_letters

    with open(PROJECT_ROOT / "translations" / "messages.pot", "rb") as handle:
        catalogue = read_po(handle, locale="it")
    catalogue["Sign the letter"].string = "Firma la lettera"
    folder = tmp_path / "translations" / "it" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as handle:
        write_mo(handle, catalogue)
    letters_dir = tmp_path / "letters"
    shutil.copytree(PROJECT_ROOT / "letters", letters_dir)
    (letters_dir / "ban-biometric-surveillance" / "it.md").write_text(
        "---\nslug: ban-biometric-surveillance\nlanguage: it\ntitle: \"Lettera aperta per vietare la sorveglianza "
        "biometrica\"\ntranslated_from: en\n---\n\nNoi, le organizzazioni firmatarie, chiediamo un divieto globale.\n",
        encoding="utf-8")
    app = create_app({
        **TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "LANGUAGES": [*DefaultConfig.LANGUAGES, "it"],
        "BABEL_TRANSLATION_DIRECTORIES": f"{DefaultConfig.BABEL_TRANSLATION_DIRECTORIES};{tmp_path / 'translations'}",
        "LETTERS_DIR": str(letters_dir),
    })
    with app.app_context():
        db.create_all()
        load_shipped_letters(app)
        db.session.remove()
    try:
        client = app.test_client()
        page = client.get("/it/").get_data(as_text=True)
        assert '<html lang="it" dir="ltr">' in page
        assert "Lettera aperta per vietare la sorveglianza biometrica" in page and "Firma la lettera" in page
        assert client.get("/it/sign").status_code == 200 and client.get("/it/signatories").status_code == 200
        assert 'hreflang="it"' in client.get("/en/").get_data(as_text=True)
        assert client.get("/", headers={"Accept-Language": "it-IT"}).headers["Location"].endswith("/it/")
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


@pytest.mark.parametrize("code, written", [("en", "2,464 entries on the list."), ("de", "2.464 Einträge auf der Liste."),
                                           ("fr", "2\u202f464 entrées sur la liste.")])
def test_a_count_in_a_sentence_is_written_as_the_language_writes_numbers(app, code, written):
    """"2464 entries" was how every page gave a count it did not format itself."""
    from campaign.web.i18n import describe

    with app.test_request_context(f"/{code}/"), force_locale(describe(code).babel_locale):
        template = app.jinja_env.from_string(
            '{{ ngettext("%(num)s entry on the list.", "%(num)s entries on the list.", count) }}'
            '|{{ ngettext("%(num)s entry on the list.", "%(num)s entries on the list.", 1) }}'
            '|{{ ngettext("%(num)s row refused.", "%(num)s rows refused.", 2, num="<b>") }}')
        many, one, given = template.render(count=2464).split("|")
    assert many == written
    assert "1" in one and "," not in one
    assert "&lt;b&gt;" in given, "what a template passes is escaped as before"
