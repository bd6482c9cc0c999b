"""What every reader gets alike, kept by each process for a few seconds; and every key it keeps.

The letter page, its timeline, its versions, the list's first pages, the blank sign form, a letter's text and the pause switch
are the same for everyone who asks within ``LETTER_PAGE_CACHE_SECONDS`` (the switch: within
``SIGNING_PAUSE_CACHE_SECONDS``). Each app in each process keeps its own entries; nothing personal
goes in (no cookie, no form a person filled in). The keys are built here, in one place, and each
names the letter it belongs to. In debug mode (``make run``) nothing is kept, so an edited template
shows at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app

if TYPE_CHECKING:
    from ..lifecycle.closing import Signing
    from ..models import SignatureKind

MAX_ENTRIES = 256
_lock = threading.Lock()
T = TypeVar("T")


def letter_page_key(slug: str | None, language: str, signing: Signing) -> tuple:
    """The rendered letter page; ``slug`` None for the featured letter at ``/<lang>/``. Its Sign
    buttons give way to a notice while signing is paused or once the letter has closed."""
    return ("letter-page", slug, language, signing)


def changes_feed_key(slug: str | None, language: str, version: str) -> tuple:
    """The list's change feed as of the list's ``version`` (``listing.list_version``)."""
    return ("changes-feed", slug, language, version)


def timeline_key(slug: str | None, language: str, signing: Signing) -> tuple:
    return ("timeline-page", slug, language, signing)


def versions_key(slug: str | None, language: str) -> tuple:
    """A letter's history in one language (``lifecycle.versions``): it changes only when texts load."""
    return ("versions-page", slug, language)


def snapshots_key(slug: str | None, language: str) -> tuple:
    """A letter's signed snapshots in one language: a new one comes once a day, from the timer."""
    return ("snapshots-page", slug, language)


def letter_view_key(slug: str | None, language: str) -> tuple:
    """A letter's text in one language, as plain values."""
    return ("letter-view", slug, language)


def letter_info_key(slug: str | None) -> tuple:
    return ("letter-info", slug)


def list_page_key(slug: str | None, language: str, kind: SignatureKind | None, country: str | None, sort: str,
                  start: str | None, signing: Signing, verified: bool = False) -> tuple:
    """A first page of the public list (no search, no cursor; ``start``: from an initial;
    ``verified``: only organisations verified by their own domain)."""
    return ("list-page", slug, language, kind, country, sort, start, signing, verified)


def sign_form_key(slug: str | None, language: str) -> tuple:
    """The blank sign form, with slots for what differs per reader (see ``skeletons``)."""
    return ("sign-form", slug, language)


def dashboard_key(letter_id: int, window: int) -> tuple:
    """The operator's figures for a letter over a window of days (``moderation.stats``): no
    personal data, the same for every moderator."""
    return ("dashboard", letter_id, window)


def card_key(slug: str, language: str, shown: int, digest: str) -> tuple:
    """A share card's PNG (``publication.cards``): the same picture for as long as its digest is."""
    return ("card", slug, language, shown, digest)


def link_shapes_key(language: str, slug: str | None, script_root: str) -> tuple:
    """The emailed links' addresses around their tokens (``tokens.new_links``), for one language and
    letter, as this app builds them (``script_root``: the path the app is mounted at, in a request)."""
    return ("link-shapes", language, slug, script_root)


def signing_paused_key() -> tuple:
    return ("signing-paused",)


def _entries() -> dict[Hashable, tuple[float, object]]:
    return current_app.extensions.setdefault("process_cache", {})


def get(key: Hashable) -> Any:  # entries differ in type (a page, a letter, a switch): the key says which
    entry = _entries().get(key)
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def expires_at(key: Hashable) -> float | None:
    """When the entry for ``key`` expires, on the ``time.monotonic`` clock."""
    entry = _entries().get(key)
    return entry[0] if entry is not None else None


def put(key: Hashable, value: T, seconds: float) -> T:
    """Keep ``value`` for ``seconds`` (not at all in debug mode or for 0 s); returns ``value``."""
    if seconds > 0 and not current_app.debug:
        entries = _entries()
        with _lock:
            if len(entries) >= MAX_ENTRIES:
                entries.clear()
            entries[key] = (time.monotonic() + seconds, value)
    return value


def clear() -> None:
    """Forget every entry, and the answers replayed from them."""
    with _lock:
        _entries().clear()
    replays = current_app.extensions.get("replay")
    if replays is not None:
        replays.clear()
