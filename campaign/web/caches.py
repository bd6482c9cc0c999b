"""A small in-process cache for what every reader gets alike: the rendered letter page, the letter.

Each app in each process keeps its own entries for a few seconds; only things that are the same for
everyone (no cookie, no personal data) go in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable

from flask import current_app

MAX_ENTRIES = 256
_lock = threading.Lock()


def _entries() -> dict[Hashable, tuple[float, object]]:
    return current_app.extensions.setdefault("page_cache", {})


def get(key: Hashable):
    entry = _entries().get(key)
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def expires_at(key: Hashable) -> float | None:
    """When the entry for ``key`` expires, on the ``time.monotonic`` clock."""
    entry = _entries().get(key)
    return entry[0] if entry is not None else None


def put(key: Hashable, value, seconds: float):
    if seconds > 0:
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
