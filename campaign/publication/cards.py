"""Share cards: the picture a link to a letter shows on other sites (``og:image``), drawn here.

A card is 1200 × 630 pixels: the site's name, the letter's title in one language, and its published
count as that language writes numbers. It is drawn on the server with Pillow (see ``typesetting``:
libraqm shapes Arabic and sets it right to left), from Debian's fonts; nothing is fetched.

The count moves in steps, so that a card is drawn again only when the count crosses one: below
1,000 the exact count; from 1,000 on, the count rounded down to its first two digits, with a plus
(1,234 → "1,200+", 12,345 → "12,000+", 123,456 → "120,000+"): a new card at most every
signature up to 1,000, then 90 per power of ten. A card's address carries its step and a digest of
everything it shows (title, count, site name, the drawing's version), so the address changes
whenever the picture does and the picture may be cached for good.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from flask_babel import format_decimal, get_translations, gettext
from PIL import Image, ImageDraw

from ..letters import LetterView
from ..web import caches
from ..web.i18n import current_language, describe
from . import typesetting
from .typesetting import Style

WIDTH, HEIGHT = 1200, 630
EXACT_BELOW = 1000
#: Change it when the drawing changes: every card then gets a new address.
LAYOUT_VERSION = "1"
#: A card never changes under its address: each process keeps what it drew for a day.
KEEP_SECONDS = 24 * 3600

PAPER, INK, ACCENT, RULE, WHITE = "#fffdf9", "#1c1b1a", "#7a1f2b", "#ddd6cc", "#ffffff"
MARGIN = 80
BAR = 16
TITLE_TOP, TITLE_BOTTOM = 150, 478
TITLE_SIZES = range(72, 33, -4)
#: Distance between baselines, in font sizes: Naskh's tall letters and marks need more room.
LEADING = {"latin": 1.22, "arabic": 1.62, "cjk": 1.36}
LOGO = 60


def shown_count(count: int) -> int:
    """The count a card shows: exact below ``EXACT_BELOW``, else rounded down to two digits."""
    if count < EXACT_BELOW:
        return max(count, 0)
    step = 10 ** (len(str(count)) - 2)
    return count // step * step


@dataclass(frozen=True)
class Card:
    """Everything a card shows, as plain values: the same card is the same picture."""

    slug: str
    language: str  # the page's language (the count and the site's name), a BCP 47 tag
    direction: str
    title: str
    title_language: str  # the title's own language: the original's where a translation is missing
    title_direction: str
    count_line: str
    site_name: str
    shown: int

    @property
    def digest(self) -> str:
        parts = (LAYOUT_VERSION, self.slug, self.language, self.direction, self.title, self.title_language,
                 self.title_direction, self.count_line, self.site_name, str(self.shown))
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def card_for(view: LetterView, count: int) -> Card:
    """The card of a letter at ``count`` published signatures, in the language of the request."""
    shown = shown_count(count)
    # The plural form is chosen by the count; the count is written as the language writes numbers.
    if shown < EXACT_BELOW:
        words = get_translations().ungettext("%(num)s signature published", "%(num)s signatures published", shown)
    else:
        # TRANSLATORS: on the picture shown where a link to the letter is shared: the count rounded down
        # to two digits (12,000 for 12,345), so "+" means "or more". Used from 1,000 on.
        words = get_translations().ungettext("%(num)s+ signature published", "%(num)s+ signatures published", shown)
    count_line = words % {"num": format_decimal(shown)}
    page = describe(current_language())
    title = describe(view.text.language)
    return Card(view.letter.slug, page.tag, page.direction, view.text.title, title.tag, title.direction,
                count_line, gettext("Ban Biometric Surveillance"), shown)


def alt_text(card: Card) -> str:
    # TRANSLATORS: the text alternative of the picture shown where a link to the letter is shared: the
    # letter's title, then its count ("12,000+ signatures published").
    return gettext("%(title)s — %(count_line)s", title=card.title, count_line=card.count_line)


def png(card: Card) -> bytes:
    """The card as PNG, drawn once per process and kept (see ``caches.card_key``)."""
    key = caches.card_key(card.slug, card.language, card.shown, card.digest)
    data = caches.get(key)
    if data is None:
        data = caches.put(key, render(card), KEEP_SECONDS)
    return data


def render(card: Card) -> bytes:
    typesetting.require_layout()
    with typesetting.drawing_lock:
        image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
        draw = ImageDraw.Draw(image)
        rtl = card.direction == "rtl"
        start, end = MARGIN, WIDTH - MARGIN
        draw.rectangle((WIDTH - BAR, 0, WIDTH, HEIGHT) if rtl else (0, 0, BAR, HEIGHT), fill=ACCENT)
        _draw_header(image, draw, card, start, end)
        _draw_title(draw, card, start, end)
        draw.line((start, 502, end, 502), fill=RULE, width=2)
        count_style = Style("sans-bold", card.language, card.direction)
        count = typesetting.fit(card.count_line, count_style, end - start, 60, range(44, 27, -4), 1.3)
        typesetting.draw_line(draw, count.lines[0], count_style, start, end, 572, ACCENT)
        output = io.BytesIO()
        image.save(output, "PNG")  # optimize=True: 4% smaller, 55 ms more (BENCHMARKS.md)
    return output.getvalue()


def _draw_header(image: Image.Image, draw: ImageDraw.ImageDraw, card: Card, start: int, end: int) -> None:
    """The site's mark at the start edge (left, or right in a right-to-left language), its name beside it."""
    top = 56
    rtl = card.direction == "rtl"
    image.paste(_logo(LOGO), (end - LOGO if rtl else start, top), _logo(LOGO))
    style = Style("sans-bold", card.language, card.direction)
    name = typesetting.fit(card.site_name, style, end - start - LOGO - 24, 50, range(30, 19, -2), 1.3)
    text_start, text_end = (start, end - LOGO - 24) if rtl else (start + LOGO + 24, end)
    typesetting.draw_line(draw, name.lines[0], style, text_start, text_end, top + LOGO // 2 + name.size * 0.36, INK)


def title_layout(card: Card, start: int = MARGIN, end: int = WIDTH - MARGIN) -> tuple[Style, typesetting.Block, float]:
    """How the title is set: as large as fits its box, centred in it from top to bottom; with the
    first line's baseline."""
    style = Style("serif", card.title_language, card.title_direction)
    leading = LEADING[typesetting.script_family(card.title_language)]
    block = typesetting.fit(card.title, style, end - start, TITLE_BOTTOM - TITLE_TOP, TITLE_SIZES, leading)
    # the first baseline sits about 0.8 of a size under the top of its line
    baseline = TITLE_TOP + (TITLE_BOTTOM - TITLE_TOP - block.height) / 2 + (block.leading - block.size) / 2 \
        + block.size * 0.8
    return style, block, baseline


def _draw_title(draw: ImageDraw.ImageDraw, card: Card, start: int, end: int) -> None:
    """The title, each line against the left edge, or the right one when it reads right to left."""
    style, block, baseline = title_layout(card, start, end)
    for line in block.lines:
        typesetting.draw_line(draw, line, style, start, end, baseline, INK)
        baseline += block.leading


def _logo(size: int) -> Image.Image:
    """``static/img/icon.svg`` drawn four times larger and scaled down, for smooth edges."""
    scale = size * 4 / 32
    big = Image.new("RGBA", (size * 4, size * 4), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    draw.rounded_rectangle((0, 0, size * 4 - 1, size * 4 - 1), radius=round(6 * scale), fill=ACCENT)
    stroke = round(2.5 * scale)
    draw.ellipse(((16 - 7) * scale, (14 - 7) * scale, (16 + 7) * scale, (14 + 7) * scale), outline=WHITE,
                 width=stroke)
    draw.line((7 * scale, 26 * scale, 25 * scale, 6 * scale), fill=WHITE, width=stroke)
    for x, y in ((7, 26), (25, 6)):  # round caps
        draw.ellipse((x * scale - stroke / 2, y * scale - stroke / 2, x * scale + stroke / 2, y * scale + stroke / 2),
                     fill=WHITE)
    return big.resize((size, size), Image.Resampling.LANCZOS)
