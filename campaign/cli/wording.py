"""Plain English for the commands' reports (the CLI speaks English only; the site's pages use ngettext)."""

from __future__ import annotations


def counted(number: int, singular: str, plural: str) -> str:
    """``1 text``, ``0 texts``, ``1,200 texts``: the number, then the noun in the form English gives it."""
    return f"{number:,} {singular if number == 1 else plural}"
