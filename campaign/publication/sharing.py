"""Sharing a letter without tracking anyone: the preview other sites show of its pages (Open Graph
tags, with our own card as the picture)."""

from __future__ import annotations

from dataclasses import dataclass

from ..letters import LetterView
from ..web import i18n
from . import cards


@dataclass(frozen=True)
class Preview:
    """What a page says of itself to the sites a link to it is shared on (Open Graph, and X's card)."""

    kind: str  # og:type
    title: str
    description: str
    url: str
    site_name: str
    locale: str
    other_locales: tuple[str, ...]
    image: str
    image_alt: str
    image_width: int = cards.WIDTH
    image_height: int = cards.HEIGHT


def preview_of(view: LetterView, count: int, *, title: str, description: str, url: str,
               kind: str = "article") -> Preview:
    """A page's preview, its picture the letter's card at ``count`` published signatures, in the
    language of the request; ``url`` is the page's canonical address (without any query)."""
    card = cards.card_for(view, count)
    here = i18n.current_language()
    return Preview(
        kind, title, description, url, card.site_name, i18n.describe(here).open_graph_locale,
        tuple(i18n.describe(code).open_graph_locale for code in i18n.supported_codes() if code != here),
        i18n.absolute_url("share.card", shown=card.shown, digest=card.digest), cards.alt_text(card),
    )
