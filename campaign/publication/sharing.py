"""Sharing a letter without tracking anyone: the preview other sites show of its pages (Open Graph
tags, with our own card as the picture), and plain links to share it.

Every link is an ordinary ``<a href>`` to the network's own share address: nothing of theirs is
loaded until a reader clicks one, and the page sends them no referrer. The shared address is the
letter's own, the same for every reader: no per-person part, no campaign tag. Mastodon has no one
address (each server has its own), so its link opens a page of ours that asks for the reader's
server. Signal has no share address at all: the page's "Copy link" button (and the link shown as
text) covers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import url_for
from flask_babel import gettext as _

from ..letters import LetterView
from ..web import i18n
from . import cards


def _encoded(value: str) -> str:
    """Percent-encoded for a query string, ``/`` and ``:`` included (a URL inside a URL)."""
    return quote(value, safe="")


@dataclass(frozen=True)
class ShareLink:
    network: str  # a stable name: "email", "whatsapp", … (tests and styles)
    label: str
    href: str


@dataclass(frozen=True)
class Share:
    url: str  # the letter's address in the page's language
    title: str
    links: tuple[ShareLink, ...]


def share_of(view: LetterView, **address: str | None) -> Share:
    """The share links of a letter, in the language of the request, or (an email's links, outside
    the page) of the letter at ``address`` (its ``lang`` and ``slug``), every link absolute."""
    url = i18n.absolute_url("letter.page", **address)
    mastodon = i18n.absolute_url("share.mastodon", **address) if address else url_for("share.mastodon")
    title = view.text.title
    text = f"{title} {url}"
    body = f"{title}\r\n\r\n{url}"  # RFC 6068: a line break in a mailto body is CRLF
    return Share(url, title, (
        ShareLink("email", _("By email"), f"mailto:?subject={_encoded(title)}&body={_encoded(body)}"),
        ShareLink("whatsapp", "WhatsApp", f"https://wa.me/?text={_encoded(text)}"),
        ShareLink("telegram", "Telegram", f"https://t.me/share/url?url={_encoded(url)}&text={_encoded(title)}"),
        ShareLink("x", "X", f"https://x.com/intent/tweet?text={_encoded(title)}&url={_encoded(url)}"),
        ShareLink("bluesky", "Bluesky", f"https://bsky.app/intent/compose?text={_encoded(text)}"),
        ShareLink("facebook", "Facebook", f"https://www.facebook.com/sharer/sharer.php?u={_encoded(url)}"),
        ShareLink("linkedin", "LinkedIn", f"https://www.linkedin.com/sharing/share-offsite/?url={_encoded(url)}"),
        ShareLink("mastodon", "Mastodon", mastodon),
    ))


def mastodon_post_url(server: str, view: LetterView) -> str:
    """A new post on the reader's server (``forms.mastodon_server`` checked it is a host name),
    holding the letter's title and address."""
    return f"https://{server}/share?text={_encoded(view.text.title + ' ' + i18n.absolute_url('letter.page'))}"


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
