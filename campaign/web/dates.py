"""Dates and times as each language writes them: CLDR's patterns (through Flask-Babel), with the
first day of a month written as the languages that say it as an ordinal write it.

CLDR's patterns have no ordinal day, so Babel writes "1 décembre 2026" where French writes
"1er décembre 2026", and "1 de dezembro" where Brazilian Portuguese (our ``pt``) writes "1º de
dezembro". Every date with its month in words goes through here: the templates' ``dateformat``
and ``datetimeformat`` filters, "signed on", and ``to_the_minute``. Machines read ``machine``'s
form (a ``<time datetime>``, a ``<meta>``).
"""

from __future__ import annotations

import datetime as dt
import re

from babel import Locale
from flask_babel import format_date, format_datetime, get_locale, to_user_timezone

#: How a language writes the first day of a month, as a Babel pattern for the day (``d``).
FIRST_OF_MONTH = {"fr": "d'er'", "pt": "d'º'"}
#: The day as a field of its own (``d``, not ``dd``), before the month in words (``MMM`` or ``MMMM``).
_DAY_BEFORE_MONTH_IN_WORDS = re.compile(r"(?<![d'])d(?!d)(?=[^M]*MMM)")
_WIDTHS = ("short", "medium", "long", "full")


def _locale() -> Locale:
    return get_locale() or Locale.parse("en")


def _day_of(value: dt.date) -> int:
    """The day the reader sees: a moment in the displayed time zone."""
    return to_user_timezone(value).day if isinstance(value, dt.datetime) else value.day


def date_pattern(locale: Locale, width: str, day: int) -> str:
    """CLDR's date pattern of this width, its day made an ordinal on the first of a month where the
    language writes it so."""
    pattern = locale.date_formats[width].pattern
    ordinal = FIRST_OF_MONTH.get(locale.language)
    return _DAY_BEFORE_MONTH_IN_WORDS.sub(ordinal, pattern, count=1) if ordinal and day == 1 else pattern


def date(value: dt.date, width: str = "medium") -> str:
    """The ``dateformat`` filter: a date (or a moment's date) in one of CLDR's widths."""
    if width not in _WIDTHS:
        return format_date(value, width)  # a pattern of the caller's own
    return format_date(value, date_pattern(_locale(), width, _day_of(value)))


def moment(value: dt.datetime, width: str = "medium") -> str:
    """The ``datetimeformat`` filter: a date and time in one of CLDR's widths."""
    if width not in _WIDTHS:
        return format_datetime(value, width)
    locale = _locale()
    pattern = str(locale.datetime_formats[width]).replace("{1}", date_pattern(locale, width, _day_of(value))) \
        .replace("{0}", locale.time_formats[width].pattern)
    return format_datetime(value, pattern)


def to_the_minute(value: dt.datetime) -> str:
    """A moment as the page's language writes a date and a time to the minute, with its zone (UTC):
    CLDR's long date and short time, joined as the language joins them ("November 28, 2026, 9:00 AM
    UTC", "28. November 2026, 09:00 UTC"); Babel's "long" date and time carries the seconds."""
    locale = _locale()
    pattern = str(locale.datetime_formats["long"]).replace("{1}", date_pattern(locale, "long", _day_of(value))) \
        .replace("{0}", f"{locale.time_formats['short'].pattern} z")
    return format_datetime(value, pattern)


def machine(value: dt.date) -> str:
    """A date, or a moment to the second, as HTML's ``datetime`` attribute takes it: at most three
    digits of a second's fraction are valid there, and Python writes six."""
    return value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else value.isoformat()
