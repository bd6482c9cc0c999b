"""Streaming CSV and JSON exports, safe to open in a spreadsheet, in constant memory."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator

from sqlalchemy import Select

from .extensions import db
from .models import Signature

#: A cell starting with one of these is a formula to a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
STREAM_BATCH = 1000

ADMIN_COLUMNS = (
    "id", "letter_id", "status", "kind", "name", "organisation", "role", "country", "city", "website",
    "email_domain", "comment", "consent_publish", "consent_updates", "is_drafter", "language",
    "letter_version", "source", "created_at", "verified_at", "published_at", "rejection_reason",
)


def neutralise(value) -> str:
    """Text a spreadsheet shows as text: a leading formula character gets a quote before it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = value.isoformat() if hasattr(value, "isoformat") else str(getattr(value, "value", value))
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text, one line at a time, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(value) for value in row])
        yield buffer.getvalue()


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
