"""Render once, fill in per request: text with slots for the few strings that differ.

An email of one kind differs from the next only in a name, a title and its links; the blank sign
form only in its CSRF token and time stamp. Rendering such a template costs more than the rest of
the request, so it is rendered once with a slot in place of each varying string, and each request
fills the slots in.

The contract:

- a slot is ``slot(name)``, the name between two NUL characters; names are ``[a-z_]+``;
- nothing a person sends can contain NUL (every form field and parameter refuses control
  characters), so no value can forge a slot, and no rendered template contains one by accident;
- ``fill`` replaces every slot with its value: as it is for plain text, escaped for HTML exactly as
  Jinja's autoescaping would have escaped it; a slot without a value is an error (``KeyError``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from markupsafe import escape

_SLOT = re.compile("\x00([a-z_]+)\x00")


def slot(name: str) -> str:
    return f"\x00{name}\x00"


def fill(skeleton: str, values: Mapping[str, str], *, html: bool) -> str:
    if html:
        return _SLOT.sub(lambda found: str(escape(values[found.group(1)])), skeleton)
    return _SLOT.sub(lambda found: values[found.group(1)], skeleton)


def has_slots(text: str) -> bool:
    return "\x00" in text
