"""Atom feeds (RFC 4287), one per letter and language, for feed readers and newsrooms: no account,
no tracking. The timeline (the same entries as its page) and the list's changes (each day's new
organisations and how many individuals) share the feed's head, written here once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from feedgen.feed import FeedGenerator
from lxml import etree

from ..publication.changes import Day
from .timeline import Entry

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def atom(entries: list[Entry], *, title: str, language: str, page_url: str, feed_url: str, heading: Callable[[Entry], str],
         file_url: Callable[[str], str], more_label: str, publisher: str) -> bytes:
    """``entries`` newest first; ``heading`` names an entry in ``language``. Each entry's id is
    the page's address with the entry's anchor, stable for as long as the event is on the timeline."""
    feed = _feed(title=title, language=language, page_url=page_url, feed_url=feed_url, publisher=publisher,
                 updated=max(map(_updated, entries)) if entries else None)
    for entry in reversed(entries):  # feedgen puts the last one added first
        item = feed.add_entry()
        item.id(f"{page_url}#{entry.anchor}")
        item.title(heading(entry))
        item.published(entry.at)
        item.updated(_updated(entry))
        item.link(href=f"{page_url}#{entry.anchor}", rel="alternate", type="text/html")
        item.category(term=entry.kind)
        if entry.words is not None and entry.words.summary:
            item.content(entry.words.summary, type="text")
    return _with_related_links(feed.atom_str(pretty=True), entries, page_url, file_url, more_label)


def _feed(*, title: str, language: str, page_url: str, feed_url: str, publisher: str,
          updated: dt.datetime | None) -> FeedGenerator:
    """A feed's head: its id is its own address, its alternate the page it follows."""
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(title)
    feed.language(language)
    feed.author({"name": publisher})
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.updated(updated)
    return feed


def changes_atom(days: list[Day], *, updated: dt.datetime | None, title: str, language: str, page_url: str,
                 feed_url: str, publisher: str, heading: Callable[[Day], str], summary: Callable[[Day], str]) -> bytes:
    """One entry per day with publications (``days`` newest first), ``heading`` and ``summary``
    in ``language``; ``updated`` is when the feed last changed. An entry's id is the list's address
    and its day: a day's entry keeps its id and is updated as more signatures of that day are
    published, or as one is corrected or taken off."""
    feed = _feed(title=title, language=language, page_url=page_url, feed_url=feed_url, publisher=publisher,
                 updated=updated)
    for day in reversed(days):  # feedgen puts the last one added first
        item = feed.add_entry()
        item.id(f"{page_url}#published-{day.day.isoformat()}")
        item.title(heading(day))
        item.published(day.first)
        item.updated(day.last)
        item.link(href=page_url, rel="alternate", type="text/html")
        item.content(summary(day), type="text")
    return feed.atom_str(pretty=True)


def _updated(entry: Entry) -> dt.datetime:
    """When the entry last changed: its event, or an admin's edit of it since (same id, new time)."""
    return max(entry.at, entry.updated) if entry.updated else entry.at


def _with_related_links(document: bytes, entries: list[Entry], page_url: str, file_url: Callable[[str], str],
                        more_label: str) -> bytes:
    """An event's own link (``related``) and its photo or PDF (``enclosure``), added to the entries
    feedgen wrote: feedgen 1.0 drops the ``rel`` of every link of an entry, which would make them
    all alternates, and RFC 4287 allows one alternate per type and language. An entry whose words
    fell back to another language says which (``xml:lang``), so readers speak it right."""
    root = etree.fromstring(document)
    by_id = {f"{page_url}#{entry.anchor}": entry for entry in entries}
    for element in root.iterfind(f"{{{ATOM}}}entry"):
        entry = by_id[element.findtext(f"{{{ATOM}}}id")]
        if entry.in_other_language and entry.words_language:  # words not written in the feed's language
            element.set(XML_LANG, entry.words_language)
        for link in element.iterfind(f"{{{ATOM}}}link"):
            link.set("rel", "alternate")
            link.set("type", "text/html")
        if entry.link:
            etree.SubElement(element, f"{{{ATOM}}}link", href=entry.link, rel="related", title=more_label)
        if entry.file is not None:
            etree.SubElement(element, f"{{{ATOM}}}link", href=file_url(entry.file.name), rel="enclosure",
                             type=entry.file.content_type)
    etree.indent(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
