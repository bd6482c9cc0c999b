"""The delivery pack: a letter's list, in one language, ready to hand to those it is addressed to.

A pack is three files and their manifest: a PDF (WeasyPrint) of the letter's text with its version
and date, the counts by kind and by country, every published organisation (drafting organisations
first) and every named individual grouped by country; the CSV of the same entries, with the columns
and formula-safe cells of the public open data; and ``manifest.json``, each file's SHA-256 with the
letter's version, the counts and the time the pack was made. The print page
(``/<lang>/letters/<slug>/print``) is the PDF's own HTML, so a browser prints what the PDF shows.

Everything a pack says is read in one transaction (``snapshot``): its counts and its names agree,
however many moderators publish meanwhile. Rows are streamed (``yield_per``) and the HTML is
written to a temporary file in pieces; WeasyPrint then lays the whole document out in memory (see
BENCHMARKS.md for what that costs as the list grows).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

from flask import current_app, g, stream_template
from flask_babel import refresh

from ..extensions import db
from ..letters import LetterView
from ..models import Signature, SignatureKind, utcnow
from ..web import i18n
from . import counts as tallies
from . import exports, listing

TEMPLATE = "public/print.html"
MANIFEST = "manifest.json"
HASH_CHUNK = 1024 * 1024
STATIC_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


class PackMismatch(RuntimeError):
    """The list's tallies disagree with its entries: a pack would say one number and list another."""


@dataclass(frozen=True)
class CountryGroup:
    """The named individuals of one country, streamed in name order."""

    code: str
    entries: Iterator[listing.PublicEntry]


@dataclass
class PackList:
    """What a pack lists, in the order it lists it: read lazily, inside one ``snapshot``.

    Each section is a generator the template (or the CSV writer) walks once; ``listed`` counts what
    was handed out, by kind, so a pack can check its names against its counts."""

    view: LetterView
    counts: tallies.Counts
    made_at: dt.datetime
    listed: dict[str, int] = field(default_factory=lambda: {"organisation": 0, "individual": 0})

    @property
    def letter_id(self) -> int:
        return self.view.letter.id

    def _rows(self, query: listing.ListQuery, drafters: bool | None = None) -> Iterator[tuple]:
        for row in listing.public_rows(self.letter_id, query, drafters=drafters):
            self.listed[row[0]] += 1
            yield row

    def drafter_rows(self) -> Iterator[tuple]:
        return self._rows(listing.ListQuery(kind=SignatureKind.ORGANISATION), drafters=True)

    def organisation_rows(self) -> Iterator[tuple]:
        """The organisations that are not drafting organisations (those come first, apart)."""
        return self._rows(listing.ListQuery(kind=SignatureKind.ORGANISATION), drafters=False)

    def individual_groups(self) -> Iterator[tuple[str, Iterator[tuple]]]:
        """``(country, rows)`` for each country with a named individual, in the order the page's
        language sorts country names (a country the list does not know, last)."""
        present = set(db.session.scalars(
            listing.public_query(self.letter_id, listing.ListQuery(kind=SignatureKind.INDIVIDUAL))
            .with_only_columns(Signature.country).distinct()
        ))
        ordered = [code for code, _name in i18n.country_choices() if code in present]
        ordered += sorted(present.difference(ordered))
        for code in ordered:
            yield code, self._rows(listing.ListQuery(kind=SignatureKind.INDIVIDUAL, country=code))

    def all_rows(self) -> Iterator[tuple]:
        """Every entry, in the pack's order, as ``listing.public_rows`` gives them (for the CSV)."""
        groups = (rows for _code, rows in self.individual_groups())
        return chain(self.drafter_rows(), self.organisation_rows(), chain.from_iterable(groups))

    # What the template walks: the same rows as ``PublicEntry`` (the list page's entries).
    def drafters(self) -> list[listing.PublicEntry]:
        """The drafting organisations (a few: the letter names them, moderators mark some)."""
        return [listing.PublicEntry(*row) for row in self.drafter_rows()]

    def organisations(self) -> Iterator[listing.PublicEntry]:
        return (listing.PublicEntry(*row) for row in self.organisation_rows())

    def individuals_by_country(self) -> Iterator[CountryGroup]:
        for code, rows in self.individual_groups():
            yield CountryGroup(code, (listing.PublicEntry(*row) for row in rows))

    def check(self) -> None:
        """After one pass over the list: raise ``PackMismatch`` unless every organisation and named
        individual counted was listed; then start counting the next pass afresh."""
        expected = {"organisation": self.counts.organisations, "individual": self.counts.named_individuals}
        listed, self.listed = self.listed, dict.fromkeys(expected, 0)
        if listed != expected:
            raise PackMismatch(
                f"the counts of letter {self.view.letter.slug!r} say {expected} but the list holds {listed}; "
                f"rebuild them with `flask --app wsgi letters recount {self.view.letter.slug}`"
            )


@contextmanager
def snapshot() -> Iterator[None]:
    """Every read inside sees the list as it was at the first one: one read transaction (REPEATABLE
    READ on PostgreSQL; an explicit BEGIN on SQLite, whose driver opens none for reads). What the
    session read before is left behind; nothing is written."""
    db.session.rollback()
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
    elif dialect == "sqlite":
        db.session.connection().exec_driver_sql("BEGIN")
    try:
        yield
    finally:
        db.session.rollback()


def pack_list(view: LetterView) -> PackList:
    """The pack's list of ``view``'s letter; call inside ``snapshot``."""
    return PackList(view=view, counts=tallies.counts(view.letter.id), made_at=utcnow())


def print_page(view: LetterView) -> Iterator[str]:
    """The print page of ``view``, in pieces, read in one snapshot (for a request)."""
    with snapshot():
        yield from print_html(pack_list(view))


def print_html(pack: PackList) -> Iterator[str]:
    """The print page, in pieces (the one template of the page and the PDF)."""
    return stream_template(TEMPLATE, view=pack.view, pack=pack, counts=pack.counts,
                           country_totals=pack.counts.top_countries(limit=len(pack.counts.by_country)))


def public_csv(pack: PackList) -> Iterator[str]:
    """The CSV of the pack's entries: the public open data's columns and rules."""
    return exports.csv_chunks(exports.PUBLIC_CSV_COLUMNS,
                              exports.public_csv_rows(pack.all_rows(), dict(i18n.country_choices())), neutralised=True)


def local_fetcher(static_url: str, static_folder: Path) -> object:
    """WeasyPrint's URL fetcher for a pack: our own static files, read from disk; every other address
    is refused, and a refusal stops the PDF (nothing is fetched from the network, nor from elsewhere
    on the disk, and no stylesheet is silently left out). WeasyPrint is imported here, when a pack
    is made: it costs a second and tens of MB."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = static_folder.resolve()

    class StaticOnly(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            if not url.startswith(static_url):
                raise ValueError(f"a pack loads nothing from {url!r}, only our static files")
            path = (root / unquote(urlsplit(url).path)[len(urlsplit(static_url).path):]).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                raise ValueError(f"no static file at {url!r}")
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": STATIC_TYPES.get(path.suffix, "")})

    return StaticOnly(fail_on_errors=True)


@contextmanager
def quiet(logger_name: str) -> Iterator[None]:
    """Only errors from ``logger_name`` for a while."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _write(path: Path, chunks: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        for chunk in chunks:
            handle.write(chunk)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(HASH_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def file_names(slug: str, language: str) -> tuple[str, str, str]:
    """The names of a pack's PDF, CSV and manifest."""
    stem = f"{slug}-{language}"
    return f"{stem}-signatories.pdf", f"{stem}-signatories.csv", f"{stem}-{MANIFEST}"


@contextmanager
def page_context(view: LetterView, language: str) -> Iterator[str]:
    """A request for the letter's print page, outside any request (the command line): its
    language, letter and links as a reader's browser would get them. Yields the page's address."""
    slug = view.letter.slug
    with current_app.test_request_context(f"/{language}/letters/{slug}/print", base_url=current_app.config["SITE_URL"]):
        g.lang, g.letter_slug = language, slug
        refresh()  # Flask-Babel keeps the locale of the app context's ``g``, which the command shares
        yield i18n.absolute_url("signatories.print_page", lang=language, slug=slug)


def write_pack(view: LetterView, language: str, output: Path) -> dict:
    """Write the pack of ``view`` (the letter in ``language``) into ``output``; returns the manifest.

    Call outside any request; the list is read in one ``snapshot``."""
    from weasyprint import HTML

    output.mkdir(parents=True, exist_ok=True)
    pdf_name, csv_name, manifest_name = file_names(view.letter.slug, language)
    static_url = current_app.config["SITE_URL"] + current_app.static_url_path + "/"
    fetcher = local_fetcher(static_url, Path(current_app.static_folder or "static"))
    with page_context(view, language) as page_url, snapshot(), tempfile.TemporaryDirectory() as scratch:
        pack = pack_list(view)
        html_path = Path(scratch) / "print.html"
        _write(html_path, print_html(pack))
        pack.check()
        _write(output / csv_name, public_csv(pack))
        pack.check()
        with quiet("weasyprint"):  # its progress, and every rule of site.css it does not know
            HTML(filename=str(html_path), base_url=page_url, url_fetcher=fetcher, encoding="utf-8").write_pdf(
                output / pdf_name)
    manifest = {
        "letter": view.letter.slug,
        "language": language,
        "text_language": view.text.language,
        "title": view.text.title,
        "version": view.text.version,
        "made_at": pack.made_at.isoformat(),
        "count": {
            "organisations": pack.counts.organisations,
            "named_individuals": pack.counts.named_individuals,
            "unnamed_individuals": pack.counts.unnamed_individuals,
            "total": pack.counts.total,
            "listed": pack.counts.organisations + pack.counts.named_individuals,  # checked above
        },
        "files": [{"name": name, "sha256": sha256_of(output / name), "bytes": (output / name).stat().st_size}
                  for name in (pdf_name, csv_name)],
    }
    (output / manifest_name).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest



def write_archive(view: LetterView, language: str) -> IO[bytes]:
    """The pack as a ZIP in an anonymous temporary file (gone once closed), read from its start."""
    archive = tempfile.TemporaryFile()  # noqa: SIM115  (the caller sends it, then closes it)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        write_pack(view, language, folder)
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(folder.iterdir()):
                bundle.write(path, arcname=path.name)
    archive.seek(0)
    return archive
