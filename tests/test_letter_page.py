"""The letter page: the whole text, its metadata, the count, sharing, caching and headers."""

from __future__ import annotations

import hashlib
import os
import re

import pytest

from campaign import letters
from campaign.config import PROJECT_ROOT
from campaign.web import assets

from .factories import LANGUAGES, LTR_AND_RTL, SHIPPED_LETTER, publish_tally, shipped_letter, translated_plural


@pytest.mark.parametrize("code", LANGUAGES)
def test_letter_page_shows_the_whole_text(client, db, drafters, code):
    response = client.get(f"/{code}/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    view = letters.letter_in_language(shipped_letter(), code)
    assert not view.is_translation_missing
    assert f"<h1>{view.text.title}</h1>" in html
    rendered = str(view.html)
    assert rendered in html
    assert rendered.count("<h2>") == 4 and rendered.count("<li>") == 26
    for name in ("Access Now", "Amnesty International", "Human Rights Watch"):
        assert f"<bdi>{name}</bdi>" in html
    assert "mailto:banBS@accessnow.org" in html


@pytest.mark.parametrize("code, date", [("es", "7 de junio de 2021"), ("ar", "٢٠٢١"), ("de", "7. Juni 2021")])
def test_publication_date_is_localised(client, code, date):
    html = client.get(f"/{code}/").get_data(as_text=True)
    assert date in html or date.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")) in html


@pytest.mark.parametrize("code", LTR_AND_RTL)
def test_count_comes_from_published_tallies(client, db, code):
    letter = shipped_letter()
    publish_tally(letter, "organisation", "BR", 1200)
    publish_tally(letter, "individual", "EG", 34)
    html = client.get(f"/{code}/").get_data(as_text=True)
    expected = translated_plural(
        client.application, code, "%(num)s signature published", "%(num)s signatures published", 1234
    )
    figure = re.search(r'<p class="signature-count__figure"><a href="[^"]+">(.*?)</a></p>', html).group(1)
    assert re.sub(r"[\d.,٬٫\u00a0\u202f]+", "N", figure) == re.sub(r"[\d.,٬٫\u00a0\u202f]+", "N", expected)
    assert re.sub(r"\D", "", figure.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789"))) == "1234"


@pytest.mark.parametrize("code", LTR_AND_RTL)
def test_open_graph_and_twitter_cards_in_the_page_language(client, code):
    html = client.get(f"/{code}/").get_data(as_text=True)
    with client.application.app_context():
        title = letters.letter_in_language(shipped_letter(), code).text.title
    assert f'<meta property="og:title" content="{title}">' in html
    assert f'<meta property="og:url" content="https://campaign.example/{code}/">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html  # X reads the og: tags
    description = re.search(r'<meta property="og:description" content="([^"]+)">', html).group(1)
    assert 20 < len(description) <= 200


def test_share_links_are_plain_links(client):
    html = client.get("/en/").get_data(as_text=True)
    share = html.split('class="share"', 1)[1].split("</section>", 1)[0]
    assert "mailto:?subject=" in share
    assert re.findall(r"<script[^>]*>", html) == [f'<script src="/static/js/share.js?v={digest("js/share.js")}" defer>']
    assert "<iframe" not in html
    assert "https://campaign.example/en/" in share


def test_print_stylesheet_and_own_assets_only(client):
    html = client.get("/en/").get_data(as_text=True)
    assert f'<link rel="stylesheet" href="/static/css/print.css?v={digest("css/print.css")}" media="print">' in html
    sources = re.findall(r'(?:src|href)="(https?://[^"]+)"', html.split("</head>", 1)[0])
    assert all(url.startswith("https://campaign.example/") for url in sources)
    for asset in ("/static/css/site.css", "/static/css/print.css", "/static/img/icon.svg"):
        assert client.get(asset).status_code == 200


def digest(filename: str) -> str:
    return hashlib.sha256((PROJECT_ROOT / "static" / filename).read_bytes()).hexdigest()[:12]


def test_static_urls_name_the_version_of_their_file(client, app, tmp_path):
    """nginx keeps a fingerprinted file for a year (deploy/nginx/campaign.conf): its URL must change with it."""
    html = client.get("/en/").get_data(as_text=True)
    for filename in ("css/site.css", "css/print.css", "img/icon.svg"):
        url = f"/static/{filename}?v={digest(filename)}"
        assert f'"{url}"' in html
        assert client.get(url).data == (PROJECT_ROOT / "static" / filename).read_bytes()
    (tmp_path / "a.css").write_text("p { color: black }")
    before = assets.file_digest(str(tmp_path), "a.css")
    (tmp_path / "a.css").write_text("p { color: navy }")
    assert before != assets.file_digest(str(tmp_path), "a.css") is not None
    assert assets.file_digest(str(tmp_path), "../a.css") is None and assets.file_digest(str(tmp_path), "b.css") is None


def test_letter_page_is_cacheable_and_sets_no_cookie(client):
    response = client.get("/en/")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"].startswith("public, max-age=60")
    etag = response.headers["ETag"]
    again = client.get("/en/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_security_headers_on_pages_and_errors(client):
    for path in ("/en/", "/ar/missing", "/healthz", "/static/css/site.css"):
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers
    secure = client.get("/en/", base_url="https://campaign.example")
    assert secure.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_other_letters_are_reachable_by_slug(client):
    assert client.get(f"/fr/letters/{SHIPPED_LETTER}").status_code == 200
    assert client.get("/fr/letters/no-such-letter").status_code == 404


def test_the_letter_page_is_cached_briefly_per_language(app, client, db):
    from campaign.web import caches as page_cache

    page_cache.clear()
    app.config["LETTER_PAGE_CACHE_SECONDS"] = 60
    letter = shipped_letter()
    first = client.get("/en/").get_data(as_text=True)
    publish_tally(letter, "organisation", "BR", 5)
    assert client.get("/en/").get_data(as_text=True) == first, "served from the cache"
    spanish = translated_plural(app, "es", "%(num)s signature published", "%(num)s signatures published", 5)
    assert spanish in client.get("/es/").get_data(as_text=True), "each language has its own entry"
    page_cache.clear()
    assert "5 signatures published" in client.get("/en/").get_data(as_text=True)


def test_cached_letters_survive_commits_in_the_requests_that_use_them(app, client, db):
    """The cache holds plain values: a commit in one request must not break the next (it once did)."""
    from .factories import sign

    app.config["LETTER_PAGE_CACHE_SECONDS"] = 60
    for number in range(3):
        assert sign(client, email=f"cached{number}@example.org").status_code == 303
        assert client.get("/en/").status_code == 200
        assert client.get("/en/signatories").status_code == 200
        assert client.get("/en/sign/thank-you").status_code == 200


@pytest.fixture
def flask_entries(app):
    """How many requests reached Flask (a replayed answer does not)."""
    from flask import request_started

    entered = []
    receiver = lambda sender, **extra: entered.append(1)  # noqa: E731
    request_started.connect(receiver, app)
    yield entered
    request_started.disconnect(receiver, app)


def answer(response) -> tuple:
    return response.status, sorted(response.headers.items()), response.get_data()


@pytest.mark.parametrize("path", ["/en/", "/ar/", "/es/signatories", "/ar/signatories?kind=organisation"])
def test_repeated_reads_of_shared_pages_are_replayed_exactly(app, db, flask_entries, path):
    from campaign.web import caches as page_cache

    page_cache.clear()
    app.config["LETTER_PAGE_CACHE_SECONDS"] = 60
    reader = app.test_client(use_cookies=False)
    first = reader.get(path)
    etag = first.headers["ETag"]
    not_modified = reader.get(path, headers={"If-None-Match": etag})
    assert (first.status_code, not_modified.status_code) == (200, 304)
    assert len(flask_entries) == 2
    assert answer(reader.get(path)) == answer(first)
    assert answer(reader.get(path, headers={"If-None-Match": etag})) == answer(not_modified)
    assert reader.head(path).status_code == 200 and reader.head(path).get_data() == b""
    assert reader.get(path).get_data() == first.get_data(), "a HEAD never stands in for a GET"
    assert len(flask_entries) == 3, "only the first HEAD reached the app"
    assert first.headers["Content-Security-Policy"] and "Set-Cookie" not in first.headers


def test_replayed_pages_expire_with_the_cached_page(app, db, flask_entries, monkeypatch):
    from campaign.web import caches as page_cache
    from campaign.web import replay

    page_cache.clear()
    app.config["LETTER_PAGE_CACHE_SECONDS"] = 60
    reader = app.test_client(use_cookies=False)
    first = reader.get("/en/").get_data(as_text=True)
    publish_tally(shipped_letter(), "organisation", "BR", 5)
    assert reader.get("/en/").get_data(as_text=True) == first
    later = replay.time.monotonic() + 61
    monkeypatch.setattr(replay.time, "monotonic", lambda: later)
    assert "5 signatures published" in reader.get("/en/").get_data(as_text=True)
    assert len(flask_entries) == 2


def test_under_debug_a_template_or_text_change_shows_at_once(app, db, flask_entries, monkeypatch, tmp_path):
    """``make run`` (debug mode): no page stored, no answer replayed, no email skeleton kept, so an
    edited template or a changed count shows on the next request, whatever the cache settings say."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    from campaign.web import caches as page_cache

    from .factories import sign

    page_cache.clear()
    app.extensions.pop("email_skeletons", None)
    app.config["LETTER_PAGE_CACHE_SECONDS"] = 60
    app.debug = True
    edited = tmp_path / "public" / "letter.html"
    edited.parent.mkdir()
    edited.write_text("first edit: {{ published_count }}")
    monkeypatch.setattr(app, "jinja_loader", ChoiceLoader([FileSystemLoader(tmp_path), app.jinja_loader]))
    reader = app.test_client(use_cookies=False)
    assert reader.get("/en/").get_data(as_text=True) == "first edit: 0"
    edited.write_text("second edit: {{ published_count }}")
    os.utime(edited, (edited.stat().st_mtime + 2,) * 2)  # a new time even on a coarse file system
    publish_tally(shipped_letter(), "organisation", "BR", 5)
    assert reader.get("/en/").get_data(as_text=True) == "second edit: 5"
    assert len(flask_entries) == 2, "nothing replayed"
    assert app.extensions.get("process_cache", {}) == {}, "no page stored"
    assert sign(app.test_client(), email="debug@example.org").status_code == 303
    assert app.extensions.get("email_skeletons", {}) == {}, "no email skeleton kept"


def test_requests_with_a_cookie_or_another_host_always_reach_the_app(app, client, db, flask_entries):
    from campaign.web import caches as page_cache

    page_cache.clear()
    app.config["LETTER_PAGE_CACHE_SECONDS"] = 60
    reader = app.test_client(use_cookies=False)
    reader.get("/en/")
    reader.get("/en/", headers={"Cookie": "session=x"})
    reader.get("/en/", base_url="http://campaign.example")
    reader.get("/en/sign")
    reader.get("/en/sign")  # the blank form is the same for every reader (no session): replayed
    reader.get("/en/signatories?q=amal")
    reader.get("/en/signatories?q=amal")
    assert len(flask_entries) == 6, "only pages the same for every reader, asked for the same way, are replayed"
