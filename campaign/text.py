"""Cleaning untrusted text before anything else looks at it."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

ALLOWED_IN_MULTILINE = {"\n", "\t"}
#: The combining grapheme joiner: not a format character (category Cf), yet it shows nothing.
INVISIBLE_NON_FORMAT = frozenset("\u034f")
#: The Hangul fillers show as blanks (a classic way to make a "blank" name): they count as spaces.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
#: More combining marks than this on one letter is decoration that spills over its neighbours
#: ("Zalgo" text); real writing stacks a few at most (Vietnamese two, Hebrew and Arabic three).
MAX_COMBINING_MARKS = 4
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
    joiners), which can make two names look alike yet compare unequal; fillers that show as blanks
    become spaces. A zero-width joiner or non-joiner stays only where writing needs it: between two
    letters of one script that uses it, or between two emoji of a sequence (a family, a flag)."""
    if value.isascii():
        return value
    kept = []
    for position, character in enumerate(value):
        if character in JOINERS:
            before = value[position - 1] if position else ""
            after = value[position + 1] if position + 1 < len(value) else ""
            if _joins(character, before, after):
                kept.append(character)
            continue
        if character in BLANK_LETTERS:
            kept.append(" ")
        elif unicodedata.category(character) != "Cf" and character not in INVISIBLE_NON_FORMAT:
            kept.append(character)
    return "".join(kept)


def _joins(joiner: str, before: str, after: str) -> bool:
    if not before or not after:
        return False
    script = script_of(before)
    if script in SCRIPTS_WITH_JOINERS and script == script_of(after):
        return True
    return joiner == "\u200d" and _is_pictograph(before) and _is_pictograph(after)


def _is_pictograph(character: str) -> bool:
    """Emoji and the variation selector that makes a character one (inside a ZWJ sequence)."""
    return unicodedata.category(character) == "So" or character == "\ufe0f" or "\U0001f3fb" <= character <= "\U0001f3ff"


class UnsafeText(ValueError):
    """Text with characters that have no place in a form field (NUL, other control characters)."""


def clean_text(value: str | None, *, multiline: bool = False) -> str | None:
    """NFC-normalise, drop invisible characters (bidirectional controls among them), refuse
    control characters, trim whitespace.

    Returns ``None`` for missing or blank input so optional fields store nothing.
    """
    if value is None or not value.strip():
        return None  # blank, whatever the blank is made of (tabs, line breaks, separators)
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    for character in value:
        category = unicodedata.category(character)
        if category == "Cc" and not (multiline and character in ALLOWED_IN_MULTILINE):
            raise UnsafeText(character)
        if category in ("Cs", "Co", "Cn") or character in "\u2028\u2029":
            raise UnsafeText(character)
    if _stacks_marks(value):
        raise UnsafeText("combining marks")
    value = strip_invisible(value)
    value = value.strip()
    if not multiline:
        value = " ".join(value.split())
    return value or None


def _stacks_marks(value: str) -> bool:
    run = 0
    for character in value:
        run = run + 1 if unicodedata.combining(character) else 0
        if run > MAX_COMBINING_MARKS:
            return True
    return False


def fold_for_sorting(value: str) -> str:
    """A sort key that ignores case, accents and invisible characters, so "Émirats" sorts with
    "E" and "Access\u200bNow" is "Access Now"'s twin."""
    decomposed = unicodedata.normalize("NFKD", strip_invisible(value))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def search_key(*parts: str | None) -> str:
    """What searches match against: the parts, case- and accent-folded, spaces collapsed."""
    return " ".join(fold_for_sorting(" ".join(part for part in parts if part)).split())
