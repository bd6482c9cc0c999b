"""The timeline as an Atom feed (RFC 4287), one per letter and language, for feed readers and
newsrooms: no account, no tracking, the same entries as the page."""

from __future__ import annotations

from collections.abc import Callable

from feedgen.feed import FeedGenerator

from .timeline import Entry


def atom(entries: list[Entry], *, title: str, language: str, page_url: str, feed_url: str, heading: Callable[[Entry], str],
         file_url: Callable[[str], str], more_label: str, publisher: str) -> bytes:
    """``entries`` newest first; ``heading`` names an entry in ``language``. Each entry's id is
    the page's address with the entry's anchor, stable for as long as the event is on the timeline."""
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(title)
    feed.language(language)
    feed.author({"name": publisher})
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.updated(entries[0].at if entries else None)
    for entry in reversed(entries):  # feedgen puts the last one added first
        item = feed.add_entry()
        item.id(f"{page_url}#{entry.anchor}")
        item.title(heading(entry))
        item.published(entry.at)
        item.updated(entry.at)
        item.link(href=f"{page_url}#{entry.anchor}", rel="alternate", type="text/html")
        if entry.link:
            item.link(href=entry.link, rel="related", title=more_label)
        if entry.file is not None:
            item.link(href=file_url(entry.file.name), rel="enclosure", type=entry.file.content_type)
        item.category(term=entry.kind)
        if entry.words is not None and entry.words.summary:
            item.content(entry.words.summary, type="text")
    return feed.atom_str(pretty=True)
