"""Reach without tracking (issue 22): the share card we draw, the preview tags of the pages, plain share
links that load nothing until clicked, and the Mastodon page that never redirects anywhere."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, features

from campaign.publication import cards, typesetting
from campaign.web import caches

from .factories import LANGUAGES, LTR_AND_RTL, SHIPPED_LETTER, publish_tally, shipped_letter, sign, translated
from .test_signing import deliver

SITE = "https://campaign.example"
CRLF = "\r\n"
CARD_URL = re.compile(rf"{re.escape(SITE)}(/\w+(?:/letters/[\w-]+)?/card-(\d+)-([0-9a-f]{{16}})\.png)")


class MetaTags(HTMLParser):
    """The ``<meta property|name content>`` of a page, each name with every value it has."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("property") or attributes.get("name")
        if tag == "meta" and name and "content" in attributes:
            self.tags.setdefault(name, []).append(attributes["content"])


def card_path(html: str) -> str:
    return CARD_URL.search(MetaTags(html).tags["og:image"][0]).group(1)


def png_of(response) -> Image.Image:
    assert response.status_code == 200 and response.mimetype == "image/png"
    return Image.open(io.BytesIO(response.data))


# --- the card ------------------------------------------------------------------------------------

def test_pillow_lays_text_out_with_libraqm():
    assert features.check("raqm"), "install Debian's libraqm0 (.ci/run does): Arabic would come out unjoined"


@pytest.mark.parametrize("count, shown", [(0, 0), (1, 1), (999, 999), (1000, 1000), (1099, 1000), (1234, 1200),
                                          (9999, 9900), (12345, 12000), (123456, 120000), (1234567, 1200000)])
def test_the_count_on_a_card_moves_in_steps(count, shown):
    assert cards.shown_count(count) == shown


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_language_has_its_card_as_a_1200_by_630_png(client, db, code):
    publish_tally(shipped_letter(), "organisation", "BR", 12345)
    page = client.get(f"/{code}/").get_data(as_text=True)
    response = client.get(card_path(page))
    image = png_of(response)
    assert image.format == "PNG" and image.size == (1200, 630)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Set-Cookie" not in response.headers


def test_each_language_draws_its_own_card(client, db):
    publish_tally(shipped_letter(), "organisation", "BR", 12345)
    paths = {code: card_path(client.get(f"/{code}/").get_data(as_text=True)) for code in LANGUAGES}
    assert len(set(paths.values())) == len(LANGUAGES)
    pictures = {code: client.get(path).data for code, path in paths.items()}
    assert len(set(pictures.values())) == len(LANGUAGES)


@pytest.mark.parametrize("code", LTR_AND_RTL)
def test_the_count_is_written_as_the_language_writes_numbers(app, client, db, code):
    publish_tally(shipped_letter(), "organisation", "BR", 12345)
    with app.test_request_context(f"/{code}/"):
        from flask_babel import format_decimal

        card = cards.card_for(shipped_view(code), 12345)
        assert format_decimal(12000) in card.count_line
    expected = translated(app, code, "Ban Biometric Surveillance")
    assert card.site_name == expected
    assert translated(app, code, "%(title)s — %(count_line)s", title=card.title, count_line=card.count_line) == \
        MetaTags(client.get(f"/{code}/").get_data(as_text=True)).tags["og:image:alt"][0]


def shipped_view(code: str):
    from campaign import letters

    return letters.letter_in_language(shipped_letter(), code)


def _ink_columns(image: Image.Image, band: tuple[int, int, int, int]) -> tuple[int, int]:
    """The first and last column of the card with ink (darker than the paper) in a band of it."""
    dark = image.crop(band).convert("L").point(lambda value: 255 if value < 128 else 0)
    box = dark.getbbox()
    assert box is not None, "nothing drawn there"
    return band[0] + box[0], band[0] + box[2]


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_card_draws_its_languages_title_as_libraqm_sets_it(app, client, db, code):
    """Every line of each language's card is that language's title as libraqm sets it (compared with a
    reference drawing, not read back by OCR): left-aligned for a language read left to right, ending
    at the right margin for Arabic, whose letters are joined (not side by side in isolated forms)."""
    path = card_path(client.get(f"/{code}/").get_data(as_text=True))
    card_image = png_of(client.get(path)).convert("L")
    with app.test_request_context(f"/{code}/"):
        card = cards.card_for(shipped_view(code), 0)
    assert card.title == shipped_view(code).text.title and card.title_language.split("-")[0] == code
    style, block, baseline = cards.title_layout(card)
    assert style.direction == ("rtl" if code == "ar" else "ltr") and len(block.lines) >= 2
    assert " ".join("".join(run.text for run in line.runs) for line in block.lines) == card.title
    font_path = block.lines[0].runs[0].face.path
    shaped = ImageFont.truetype(str(font_path), block.size, layout_engine=ImageFont.Layout.RAQM)
    unshaped = ImageFont.truetype(str(font_path), block.size, layout_engine=ImageFont.Layout.BASIC)
    left, right = cards.MARGIN, cards.WIDTH - cards.MARGIN
    lines = ["".join(run.text for run in line.runs) for line in block.lines]
    baselines = [baseline + index * block.leading for index in range(len(lines))]
    references = {}  # every line drawn alone on a blank card: a line's band may hold its neighbours' tails
    for name, font, direction in (("shaped", shaped, style.direction), ("unshaped", unshaped, None)):
        reference = Image.new("RGB", (cards.WIDTH, cards.HEIGHT), cards.PAPER)
        for text, line_baseline in zip(lines, baselines):
            # a line read right to left has its advance end at the right margin
            start = right - font.getlength(text, direction=direction) if style.direction == "rtl" else left
            ImageDraw.Draw(reference).text((start, line_baseline), text, font=font, fill=cards.INK, anchor="ls",
                                           direction=direction)
        references[name] = reference.convert("L")
    start_edges, end_edges = [], []
    for text, line_baseline in zip(lines, baselines):
        band = (cards.MARGIN // 2, round(line_baseline - block.size), cards.WIDTH - cards.MARGIN // 2,
                round(line_baseline + block.size * 0.45))
        drawn = card_image.crop(band)
        assert _difference(drawn, references["shaped"].crop(band)) < 0.01, f"{text!r} differs from libraqm's setting"
        if code == "ar":
            assert _difference(drawn, references["unshaped"].crop(band)) > 0.5, f"{text!r} looks like its letters unjoined"
        first, last = _ink_columns(card_image, band)
        start_edges.append(first)
        end_edges.append(last)
    fixed, ragged = (end_edges, start_edges) if style.direction == "rtl" else (start_edges, end_edges)
    margin = right if style.direction == "rtl" else left
    assert all(abs(edge - margin) <= 6 for edge in fixed), f"lines start or end at {fixed}, not at the margin {margin}"
    assert len(set(ragged)) > 1, "lines of different lengths end at different places: ragged on the other side"
    assert min(start_edges) >= left - 4 and max(end_edges) <= right + 4


def _difference(drawn: Image.Image, reference: Image.Image) -> float:
    """How much of the reference's ink the drawing misses or adds (0: the same), at the best of the
    one-pixel shifts that rounding a fractional position may cause."""
    ink = sum(1 for value in reference.point(lambda value: 255 if value < 128 else 0).get_flattened_data() if value)
    best = None
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            shifted = ImageChops.offset(reference, dx, dy)
            changed = ImageChops.difference(drawn, shifted).point(lambda value: 255 if value > 96 else 0)
            count = sum(1 for value in changed.get_flattened_data() if value)
            best = count if best is None else min(best, count)
    return best / max(ink, 1)


def test_latin_titles_are_left_aligned_and_long_titles_shrink_and_stay_inside(app):
    long_title = " ".join(["Massenüberwachungsverbot"] * 40)
    card = cards.Card("x", "de", "ltr", long_title, "de", "ltr", "12.000+ Unterschriften veröffentlicht",
                      "Biometrische Überwachung verbieten", 12000)
    style, block, baseline = cards.title_layout(card)
    assert block.size == min(cards.TITLE_SIZES), "the longest title is set at the smallest size"
    assert block.height <= cards.TITLE_BOTTOM - cards.TITLE_TOP
    assert "".join(run.text for run in block.lines[-1].runs).endswith(typesetting.ELLIPSIS)
    assert all(line.width <= cards.WIDTH - 2 * cards.MARGIN for line in block.lines)
    image = Image.open(io.BytesIO(cards.render(card))).convert("L")
    first, last = _ink_columns(image, (cards.BAR + 2, cards.TITLE_TOP - 10, cards.WIDTH, cards.TITLE_BOTTOM + 10))
    assert abs(first - cards.MARGIN) <= 6 and last <= cards.WIDTH - cards.MARGIN + 2


def test_latin_words_inside_arabic_take_a_latin_font():
    """Noto's Arabic fonts have no Latin letters (nor "+"): those runs are set in Noto Sans or Serif."""
    style = typesetting.Style("sans-bold", "ar", "rtl")
    runs = typesetting.runs_of("12,000+ توقيع عن EU AI Act", style, 40)
    fonts = [run.face.path.name for run in runs]
    assert [run.text for run in runs] == ["12,000", "+ ", "توقيع عن ", "EU AI Act"]
    assert fonts == ["NotoSansArabic-Bold.ttf", "NotoSans-Bold.ttf", "NotoSansArabic-Bold.ttf", "NotoSans-Bold.ttf"]


def test_the_card_address_changes_with_the_step_and_only_then(client, db):
    letter = shipped_letter()
    paths = []
    for added in (999, 0, 1, 99, 1, 99):  # 999, 999, 1000, 1099, 1100, 1199
        if added:
            publish_tally(letter, "individual", f"C{len(paths)}"[:2], added)
        paths.append(card_path(client.get("/en/").get_data(as_text=True)))
    steps = [int(re.search(r"card-(\d+)-", path).group(1)) for path in paths]
    assert steps == [999, 999, 1000, 1000, 1100, 1100]
    assert paths[0] == paths[1] and paths[2] == paths[3] and paths[4] == paths[5]
    assert len({paths[0], paths[2], paths[4]}) == 3


def test_an_earlier_card_address_leads_to_the_current_card(client, db):
    letter = shipped_letter()
    publish_tally(letter, "organisation", "BR", 5)
    earlier = card_path(client.get("/es/").get_data(as_text=True))
    publish_tally(letter, "organisation", "KE", 5)
    current = card_path(client.get("/es/").get_data(as_text=True))
    response = client.get(earlier)
    assert response.status_code == 302 and response.headers["Location"] == current
    assert response.headers["Cache-Control"].startswith("public, max-age=60")
    assert client.get(current).status_code == 200
    assert client.get(current.replace(".png", ".gif")).status_code == 404
    assert client.get(re.sub(r"-[0-9a-f]{16}\.", "-XYZ.", current)).status_code == 404


def test_a_card_is_drawn_once_per_step_and_language(app, client, db, monkeypatch):
    drawn = []
    real = cards.render
    monkeypatch.setattr(cards, "render", lambda card: drawn.append(card.language) or real(card))
    caches.clear()
    path = card_path(client.get("/fr/").get_data(as_text=True))
    first = client.get(path).data
    assert client.get(path).data == first and client.get(f"/fr/letters/{SHIPPED_LETTER}" + path[3:]).data == first
    assert drawn == ["fr"]


# --- the preview tags ------------------------------------------------------------------------------

PAGES = {"letter": "/{code}/", "list": "/{code}/signatories?q=Org&country=BR", "thank-you": "/{code}/sign/thank-you"}


@pytest.mark.parametrize("code", LTR_AND_RTL)
@pytest.mark.parametrize("page", PAGES)
def test_pages_carry_every_preview_tag_with_absolute_addresses(app, client, db, page, code):
    publish_tally(shipped_letter(), "organisation", "BR", 1234)
    response = client.get(PAGES[page].format(code=code))
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    tags = MetaTags(response.get_data(as_text=True)).tags
    single = {name: values[0] for name, values in tags.items() if len(values) == 1}
    view = shipped_view(code)
    from campaign.web.i18n import describe

    expected_url = f"{SITE}/{code}/signatories" if page == "list" else f"{SITE}/{code}/"
    assert single["og:url"] == expected_url, "the canonical address, without any query"
    assert single["og:type"] == ("website" if page == "list" else "article")
    assert view.text.title in single["og:title"] and single["og:description"]
    assert single["og:site_name"] == translated(app, code, "Ban Biometric Surveillance")
    assert single["og:locale"] == describe(code).open_graph_locale
    assert sorted(tags["og:locale:alternate"]) == sorted(describe(other).open_graph_locale
                                                         for other in LANGUAGES if other != code)
    assert CARD_URL.fullmatch(single["og:image"]) and "card-1200-" in single["og:image"]
    assert single["og:image:width"] == "1200" and single["og:image:height"] == "630"
    assert single["og:image:type"] == "image/png"
    assert view.text.title in single["og:image:alt"]
    assert single["twitter:card"] == "summary_large_image"
    assert client.get(single["og:image"].removeprefix(SITE)).status_code == 200


def test_open_graph_locales_name_a_territory():
    from campaign.web.i18n import describe

    assert [describe(code).open_graph_locale for code in LANGUAGES] == \
        ["en_GB", "es_ES", "fr_FR", "pt_BR", "de_DE", "ar_AR"]


# --- the share links ---------------------------------------------------------------------------------

class Links(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.links: dict[str, str] = {}
        self.scripts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        network = next((name.removeprefix("share__link--") for name in classes if name.startswith("share__link--")), None)
        if tag == "a" and network:
            self.links[network] = attributes["href"]
        if tag == "script":
            self.scripts.append(attributes.get("src") or "inline")


def expected_links(code: str, title: str) -> dict[str, str]:
    url = f"{SITE}/{code}/"
    return {
        "email": f"mailto:?subject={quote(title, safe='')}&body={quote(title + CRLF * 2 + url, safe='')}",
        "whatsapp": f"https://wa.me/?text={quote(title + ' ' + url, safe='')}",
        "telegram": f"https://t.me/share/url?url={quote(url, safe='')}&text={quote(title, safe='')}",
        "x": f"https://x.com/intent/tweet?text={quote(title, safe='')}&url={quote(url, safe='')}",
        "bluesky": f"https://bsky.app/intent/compose?text={quote(title + ' ' + url, safe='')}",
        "facebook": f"https://www.facebook.com/sharer/sharer.php?u={quote(url, safe='')}",
        "linkedin": f"https://www.linkedin.com/sharing/share-offsite/?url={quote(url, safe='')}",
        "mastodon": f"/{code}/share/mastodon",
    }


@pytest.mark.parametrize("code", LTR_AND_RTL)
@pytest.mark.parametrize("path", ["/{code}/", "/{code}/sign/thank-you"])
def test_share_links_are_plain_links_to_each_network_with_the_letter_address(client, db, code, path):
    html = client.get(path.format(code=code)).get_data(as_text=True)
    found = Links(html)
    assert found.links == expected_links(code, shipped_view(code).text.title)
    assert [src.split("?v=")[0] for src in found.scripts] == ["/static/js/share.js"], "our own file, no inline script"
    share = html.split('<section class="share"', 1)[1].split("</section>", 1)[0]
    assert "<iframe" not in share and "<img" not in share, "nothing is loaded from a network"
    assert f'value="{SITE}/{code}/"' in share and 'readonly dir="ltr"' in share
    signal = translated(client.application, code,
                        "Signal and other apps without a share link: copy the link above and paste it into a chat.")
    assert f'<p class="share__hint">{signal}</p>' in share, "Signal, which has no share address, is named with what to do"
    assert client.get("/static/js/share.js").status_code == 200


def test_the_thank_you_page_shares_the_letter_not_the_signer(app, client, db, smtp):
    """The signer reaches the thank-you page through their own confirm link: nothing of it (the token,
    their address) is in what they share."""
    sign(client)
    deliver(app)
    message = smtp.wait_for(1)[0].text
    confirm = re.search(r"https://campaign\.example(/en/sign/confirm/([\w-]+))", message)
    page = client.get(confirm.group(1))
    token_form = dict(re.findall(r'name="(csrf_token)" type="hidden" value="([^"]+)"', page.get_data(as_text=True)))
    thanks = client.post(confirm.group(1), data=token_form, follow_redirects=True)
    html = thanks.get_data(as_text=True)
    assert thanks.request.path == "/en/sign/thank-you"
    share = html.split('<section class="share"', 1)[1].split("</section>", 1)[0]
    head = html.split("</head>", 1)[0]
    for private in (confirm.group(2), "amal", "rights.example.org"):
        assert private not in share and private not in head
    assert Links(html).links == expected_links("en", shipped_view("en").text.title)


# --- the Mastodon page ----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, server", [
    ("mastodon.social", "mastodon.social"),
    ("  Mastodon.Social ", "mastodon.social"),
    ("https://mastodon.social/", "mastodon.social"),
    ("@amal@eldritch.cafe", "eldritch.cafe"),
    ("amal@social.example.org", "social.example.org"),
    ("mastodón.example", "xn--mastodn-q0a.example"),
])
def test_the_mastodon_page_gives_a_link_to_a_new_post_on_a_good_server(client, db, typed, server):
    response = client.get("/en/share/mastodon", query_string={"instance": typed})
    assert response.status_code == 200 and "Location" not in response.headers
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
    title = shipped_view("en").text.title
    expected = f"https://{server}/share?text={quote(title + ' ' + SITE + '/en/', safe='')}"
    assert f'href="{expected}"' in response.get_data(as_text=True)


def test_our_own_form_is_sent_on_to_the_new_post_with_a_plain_redirect(client, db):
    """The browser marks a submission of our form ``Sec-Fetch-Site: same-origin``; a link from another
    site (``cross-site``, or an old browser saying nothing) gets the page and its link instead."""
    title = shipped_view("en").text.title
    expected = f"https://social.example/share?text={quote(title + ' ' + SITE + '/en/', safe='')}"
    asked = client.get("/en/share/mastodon")
    assert "form-action 'self' https:" in asked.headers["Content-Security-Policy"]
    sent = client.get("/en/share/mastodon", query_string={"instance": "social.example"},
                      headers={"Sec-Fetch-Site": "same-origin"})
    assert sent.status_code == 303 and sent.headers["Location"] == expected
    assert sent.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in sent.headers
    from_elsewhere = client.get("/en/share/mastodon", query_string={"instance": "evil.example"},
                                headers={"Sec-Fetch-Site": "cross-site"})
    assert from_elsewhere.status_code == 200 and "Location" not in from_elsewhere.headers
    assert "form-action 'self';" in from_elsewhere.headers["Content-Security-Policy"]  # no form there


@pytest.mark.parametrize("typed", [
    "", "   ", "localhost", "127.0.0.1", "[::1]", "mastodon.social:8443", "mastodon.social/@amal",
    "https://mastodon.social/share?text=spam", "//evil.example", "https://user:pw@evil.example",
    "javascript:alert(1)", "evil.example\\@mastodon.social", "exa mple.org", "evil.example#x", "evil.example?x=1",
    "mastodon.social.", "-bad.example", "a" * 64 + ".example", "evil.example\u0000", "evil.example%2Fpath",
])
def test_the_mastodon_page_refuses_anything_but_a_host_name(client, db, typed):
    response = client.get("/ar/share/mastodon", query_string={"instance": typed})
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 422) and "Location" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert not re.search(r'href="https?://', html.split("<main", 1)[1].split("</main>", 1)[0])
    if response.status_code == 422:
        assert 'aria-invalid="true"' in html


def test_the_mastodon_page_asks_first_and_sets_no_cookie(client, db):
    response = client.get(f"/es/letters/{SHIPPED_LETTER}/share/mastodon")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert '<form method="get" action="/es/letters/ban-biometric-surveillance/share/mastodon"' in html
    assert 'name="instance"' in html and "csrf_token" not in html
