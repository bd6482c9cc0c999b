"""Every value a request brings in its URL, parsed in one place before anything else sees it.

What a view reads from a path, a query string or a form field is hostile until proven otherwise:
a NUL byte that PostgreSQL refuses, a digit from another script that ``str.isdigit`` accepts, a
number past any column's range, a forged cursor. URL converters keep malformed path parts from
matching a route at all (a plain 404); the readers below refuse what no person types with
``BadParameter`` (a 400 that each audience renders its own way: a page, or the API's JSON) and
bound everything else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import overload

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter, IntegerConverter, Map

#: A letter's slug: lower-case ASCII words joined by hyphens (the folder name of the letter).
SLUG_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"
SLUG_MAX_LENGTH = 100
#: An emailed link's token: what ``secrets.token_urlsafe`` makes, with room to spare.
TOKEN_PATTERN = r"[A-Za-z0-9_-]{1,128}"
#: A content digest in an address: 16 lower-case hex digits (64 bits of SHA-256).
DIGEST_PATTERN = r"[0-9a-f]{16}"
#: A partner's code in ``?via=``: lower-case letters and digits, hyphens inside, at most 40.
PARTNER_CODE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
#: A value this site sealed for the browser to bring back (``crypto.seal_for_the_browser``):
#: URL-safe base64, a few hundred characters at most.
SEALED_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,400}={0,2}")
#: The largest id any of our tables can hold (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1
#: Characters no one types in a search box or a filter: C0 and C1 controls, DEL, lone
#: surrogates, and the line and paragraph separators.
_UNTYPEABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


class BadParameter(BadRequest):
    """A parameter no person would send; ``description`` says which and what is expected."""

    def __init__(self, name: str, expected: str):
        super().__init__(description=f"{name}: {expected}")
        self.parameter = name


class SlugConverter(BaseConverter):
    regex = SLUG_PATTERN


class TokenConverter(BaseConverter):
    regex = TOKEN_PATTERN


class IdConverter(IntegerConverter):
    """A row id: ASCII digits, from 1 to ``MAX_ID`` (werkzeug's ``int`` takes any size)."""

    def __init__(self, map: Map, *args: object, **kwargs: object) -> None:  # ``map``: as werkzeug's converters name it
        super().__init__(map, min=1, max=MAX_ID)


class CountConverter(IntegerConverter):
    """A count of signatures: ASCII digits, from 0 to ``MAX_ID``."""

    def __init__(self, map: Map, *args: object, **kwargs: object) -> None:
        super().__init__(map, min=0, max=MAX_ID)


class DigestConverter(BaseConverter):
    """The digest in an address that changes with its content (a share card's)."""

    regex = DIGEST_PATTERN


CONVERTERS = {"slug": SlugConverter, "token": TokenConverter, "id": IdConverter, "count": CountConverter,
              "digest": DigestConverter}


def text(args: MultiDict, name: str, max_length: int = 100) -> str | None:
    """A free-text parameter (a search), trimmed and cut to ``max_length``; ``None`` when blank."""
    value = args.get(name)
    if value is None:
        return None
    if not is_safe_text(value):
        raise BadParameter(name, "contains control characters")
    return value.strip()[:max_length] or None


def number(args: MultiDict, name: str, minimum: int, maximum: int) -> int | None:
    """A whole number in ASCII digits within ``minimum``..``maximum``; ``None`` when absent."""
    value = args.get(name, "")
    if value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(maximum)):
        raise BadParameter(name, f"a whole number from {minimum} to {maximum}")
    parsed = int(value)
    if not minimum <= parsed <= maximum:
        raise BadParameter(name, f"a whole number from {minimum} to {maximum}")
    return parsed


def moment(args: MultiDict, name: str) -> dt.datetime | None:
    """A time as RFC 3339 (``2026-11-30T12:00:00Z``; without an offset, UTC); ``None`` when absent."""
    value = args.get(name, "")
    if value == "":
        return None
    try:
        if len(value) > 40 or not value.isascii():
            raise ValueError(value)
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadParameter(name, "a time as RFC 3339, e.g. 2026-11-30T12:00:00Z") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)


def record_id(args: MultiDict, name: str) -> int | None:
    """A row id (e.g. a keyset position) or ``None``."""
    return number(args, name, 1, MAX_ID)


def record_ids(args: MultiDict, name: str, most: int = 500) -> set[int]:
    """Row ids written one after the other with commas (``3,17,42``); what is not one is left out:
    a selection carried back to a page, never refused."""
    found: set[int] = set()
    for part in (text(args, name, most * 12) or "").split(",")[:most]:
        try:
            found.add(as_record_id(part))
        except ValueError:
            continue
    return found


@overload
def choice(args: MultiDict, name: str, choices: Iterable[str], default: str) -> str: ...


@overload
def choice(args: MultiDict, name: str, choices: Iterable[str], default: None = None) -> str | None: ...


def choice(args: MultiDict, name: str, choices: Iterable[str], default: str | None = None) -> str | None:
    """One of ``choices``, or ``default`` when absent; anything else is refused."""
    value = args.get(name)
    if value is None or value == "":
        return default
    allowed = list(choices)
    if value not in allowed:
        raise BadParameter(name, "one of " + ", ".join(repr(item) for item in allowed))
    return value


def lenient_choice(args: MultiDict, name: str, choices: Iterable[str]) -> str | None:
    """One of ``choices``, or ``None`` for anything else: reader pages ignore what they do not
    know rather than refuse it (a stale bookmark keeps working)."""
    value = args.get(name)
    return value if value in set(choices) else None


def sealed(args: MultiDict, name: str) -> str | None:
    """A value the site sealed for the browser (a form's hidden ``replaces``), or ``None`` when it
    cannot be one: a person's form is never refused for a hidden field, it only loses what it carried."""
    value = args.get(name)
    return value if value is not None and SEALED_PATTERN.fullmatch(value) else None


def as_record_id(value: str) -> int:
    """A form's row id (WTForms ``coerce``): ASCII digits within range, else ``ValueError``."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= len(str(MAX_ID))):
        raise ValueError("not a row id")
    parsed = int(value)
    if not 1 <= parsed <= MAX_ID:
        raise ValueError("not a row id")
    return parsed


def is_safe_text(value: str) -> bool:
    """Whether ``value`` holds none of the characters no person types."""
    return not _UNTYPEABLE.search(value)


def is_record_id(value: object) -> bool:
    """Whether ``value`` (from a cursor or a form) is an int a row id can be."""
    return type(value) is int and 1 <= value <= MAX_ID


def partner_code(value: str | None) -> str | None:
    """A ``?via=`` code as links carry it (lower case), or None when it cannot be one: a malformed
    code credits nobody rather than refusing a signer."""
    code = (value or "").strip().lower()
    return code if PARTNER_CODE.fullmatch(code) else None
