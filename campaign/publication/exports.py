"""Streaming CSV and JSON exports, safe to open in a spreadsheet, in constant memory."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping

from sqlalchemy import Select

from ..extensions import db
from ..models import Signature
from ..signing.fields import ADMIN_COLUMNS

#: A cell starting with one of these is a formula to a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: A separator some spreadsheet may split a cell on (opened with ";" as the separator,
#: "Acme;=HYPERLINK(…)" becomes two cells, the second a formula), then a formula character.
EMBEDDED_FORMULA = re.compile(r"([,;|\t\r\n][ \t]*)(?=[=+\-@])")
STREAM_BATCH = 1000
CSV_CHUNK_CHARACTERS = 64 * 1024
#: The public open data's columns: the list's CSV and the delivery pack's.
PUBLIC_CSV_COLUMNS = ("kind", "name", "organisation", "role", "country", "country_name", "website", "drafter",
                      "published_on", "verified", "public_id")


def neutralise(value: object) -> str:
    """Text a spreadsheet shows as text: a formula character at the start of the cell, or right
    after a separator a spreadsheet might split the cell on, gets a quote before it."""
    if type(value) is str:  # not a subclass: a str enum is written as its value, below
        value = EMBEDDED_FORMULA.sub(r"\1'", value)
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = value.isoformat() if hasattr(value, "isoformat") else str(getattr(value, "value", value))
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


#: Begins a CSV meant to be opened in a spreadsheet: without it, Excel reads UTF-8 as the computer's
#: own code page and every name outside ASCII (Arabic, Cyrillic, accents) comes out garbled.
SPREADSHEET_MARK = "\ufeff"


def csv_chunks(header: Iterable[str], rows: Iterable[Iterable], *, neutralised: bool = False,
               for_spreadsheets: bool = False) -> Iterator[str]:
    """CSV text in pieces of about 64 KB (the header alone first), every cell neutralised, unless
    the caller already made each cell a string through ``neutralise`` (``neutralised=True``). A file
    for people to open (the delivery pack's, an admin's export) begins with ``SPREADSHEET_MARK``;
    the public open data does not, for the programs that read it.

    A piece per row would cost a write to the client per row; a million rows take seconds more."""
    buffer = io.StringIO()
    if for_spreadsheets:
        buffer.write(SPREADSHEET_MARK)
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        writer.writerow(row if neutralised else [neutralise(value) for value in row])
        if buffer.tell() >= CSV_CHUNK_CHARACTERS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def public_csv_rows(rows: Iterable[tuple], country_names: Mapping[str, str]) -> Iterator[tuple[str, ...]]:
    """The open data's rows (``PUBLIC_CSV_COLUMNS``) from ``listing.public_rows``, every cell already
    a safe string: only what a signer typed can start with a formula character, so only that goes
    through ``neutralise``."""
    names = {code: neutralise(name) for code, name in country_names.items()}
    for kind, name, organisation, role, country, website, drafter, published_on, verified, public_id in rows:
        yield (kind, neutralise(name), neutralise(organisation), neutralise(role), country, names.get(country, ""),
               neutralise(website), "yes" if drafter else "no", published_on.isoformat() if published_on else "",
               "yes" if verified else "no", public_id)


def json_lines(objects: Iterable[dict]) -> Iterator[str]:
    """A JSON array written piece by piece."""
    yield "["
    first = True
    for item in objects:
        yield ("" if first else ",") + "\n" + json.dumps(item, ensure_ascii=False, default=str)
        first = False
    yield "\n]\n"


def streamed(query: Select) -> Iterator:
    """Rows of a query fetched in batches (a server-side cursor on PostgreSQL)."""
    yield from db.session.scalars(query.execution_options(yield_per=STREAM_BATCH, stream_results=True))


def admin_row(signature: Signature) -> list:
    return [getattr(signature, column) for column in ADMIN_COLUMNS]


def admin_record(signature: Signature) -> dict:
    return {column: (value.value if hasattr(value, "value") else value)
            for column, value in zip(ADMIN_COLUMNS, admin_row(signature))}


def version_tag(version: str) -> str:
    """A short, opaque ETag value for a data version string."""
    return hashlib.sha256(version.encode("utf-8")).hexdigest()[:32]
