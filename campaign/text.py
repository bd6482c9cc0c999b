"""Cleaning untrusted text before anything else looks at it."""

from __future__ import annotations

import re
import unicodedata

#: Embeddings, overrides and isolates: they can make a name display as something else.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
ALLOWED_IN_MULTILINE = {"\n", "\t"}


class UnsafeText(ValueError):
    """Text with characters that have no place in a form field (NUL, other control characters)."""


def clean_text(value: str | None, *, multiline: bool = False) -> str | None:
    """NFC-normalise, drop bidirectional controls, refuse control characters, trim whitespace.

    Returns ``None`` for missing or blank input so optional fields store nothing.
    """
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    value = BIDI_CONTROLS.sub("", value)
    for character in value:
        category = unicodedata.category(character)
        if category == "Cc" and not (multiline and character in ALLOWED_IN_MULTILINE):
            raise UnsafeText(character)
        if category in ("Cs", "Co", "Cn") or character in "\u2028\u2029\ufeff":
            raise UnsafeText(character)
    value = value.strip()
    if not multiline:
        value = " ".join(value.split())
    return value or None


def fold_for_sorting(value: str) -> str:
    """A sort key that ignores case and accents, so "Émirats" sorts with "E"."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def search_key(*parts: str | None) -> str:
    """What searches match against: the parts, case- and accent-folded, spaces collapsed."""
    return " ".join(fold_for_sorting(" ".join(part for part in parts if part)).split())
