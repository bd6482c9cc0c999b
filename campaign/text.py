"""Cleaning untrusted text before anything else looks at it."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

ALLOWED_IN_MULTILINE = {"\n", "\t"}
#: Invisible characters that are not format characters (category Cf) but show nothing: the
#: combining grapheme joiner and the Hangul fillers (a classic way to make a "blank" name).
INVISIBLE_NON_FORMAT = frozenset("\u034f\u115f\u1160\u3164\uffa0")
#: Zero-width non-joiner and joiner: invisible, yet part of how some scripts write a word
#: (Persian and Urdu in Arabic script, conjuncts of the Indic scripts, Sinhala, Myanmar, Khmer).
JOINERS = frozenset("\u200c\u200d")
SCRIPTS_WITH_JOINERS = frozenset({
    "ARABIC", "SYRIAC", "NKO", "MONGOLIAN", "DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL",
    "TELUGU", "KANNADA", "MALAYALAM", "SINHALA", "MYANMAR", "KHMER", "TIBETAN",
})


@lru_cache(maxsize=4096)
def script_of(character: str) -> str | None:
    """The script a letter or mark is written in, from its Unicode name ("ARABIC LETTER BEH");
    ``None`` for anything else (digits, spaces, punctuation, symbols)."""
    if unicodedata.category(character)[0] not in "LM":
        return None
    try:
        return unicodedata.name(character).split(" ", 1)[0]
    except ValueError:
        return None


def strip_invisible(value: str) -> str:
    """Remove characters that show nothing (zero-width spaces, joiners, soft hyphens, tags, word
    joiners, fillers), which can make two names look alike yet compare unequal. A zero-width
    joiner or non-joiner stays only between two letters of one script that uses it."""
    if value.isascii():
        return value
    kept = []
    for position, character in enumerate(value):
        if character in JOINERS:
            before = script_of(value[position - 1]) if position else None
            after = script_of(value[position + 1]) if position + 1 < len(value) else None
            if before in SCRIPTS_WITH_JOINERS and before == after:
                kept.append(character)
            continue
        if unicodedata.category(character) == "Cf" or character in INVISIBLE_NON_FORMAT:
            continue
        kept.append(character)
    return "".join(kept)


class UnsafeText(ValueError):
    """Text with characters that have no place in a form field (NUL, other control characters)."""


def clean_text(value: str | None, *, multiline: bool = False) -> str | None:
    """NFC-normalise, drop invisible characters (bidirectional controls among them), refuse
    control characters, trim whitespace.

    Returns ``None`` for missing or blank input so optional fields store nothing.
    """
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    for character in value:
        category = unicodedata.category(character)
        if category == "Cc" and not (multiline and character in ALLOWED_IN_MULTILINE):
            raise UnsafeText(character)
        if category in ("Cs", "Co", "Cn") or character in "\u2028\u2029":
            raise UnsafeText(character)
    value = strip_invisible(value)
    value = value.strip()
    if not multiline:
        value = " ".join(value.split())
    return value or None


def fold_for_sorting(value: str) -> str:
    """A sort key that ignores case, accents and invisible characters, so "Émirats" sorts with
    "E" and "Access\u200bNow" is "Access Now"'s twin."""
    decomposed = unicodedata.normalize("NFKD", strip_invisible(value))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def search_key(*parts: str | None) -> str:
    """What searches match against: the parts, case- and accent-folded, spaces collapsed."""
    return " ".join(fold_for_sorting(" ".join(part for part in parts if part)).split())
