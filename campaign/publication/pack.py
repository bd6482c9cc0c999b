"""The delivery pack: a letter's list, in one language, ready to hand to those it is addressed to.

A pack is three files and their manifest: a PDF (WeasyPrint) of the letter's text with its version
and date, the counts by kind and by country, every published organisation (drafting organisations
first) and every named individual grouped by country; the CSV of the same entries, with the columns
and formula-safe cells of the public open data; and ``manifest.json``, each file's SHA-256 with the
letter's version, the counts and the time the pack was made. The print page
(``/<lang>/letters/<slug>/print``) is the PDF's own HTML, so a browser prints what the PDF shows.

Everything a pack says is read in one transaction (``snapshot``): its counts and its names agree,
however many moderators publish meanwhile. Rows are streamed (``yield_per``). WeasyPrint lays a
whole document out in memory, so the PDF is made in parts of ``PACK_PART_SIZE`` entries (the same
template, each part a slice of the list), each written to a temporary PDF; each page then gets its
running header and its number out of the whole (``N / total``, known once every part is laid out)
from a blank page WeasyPrint draws with the same stylesheet, and the parts are joined (pypdf).
The layout runs in a child process and the join in this one, so neither holds what the other
needed: memory is bounded by the part, not by the list (see BENCHMARKS.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import multiprocessing
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, groupby, islice
from operator import itemgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from flask import current_app, g, render_template, stream_template
from flask_babel import refresh

from ..extensions import db
from ..letters import LetterView
from ..models import Signature, SignatureKind, utcnow
from ..web import i18n
from . import counts as tallies
from . import exports, listing, snapshots

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from pypdf import PdfReader

TEMPLATE = "public/print.html"
STAMP_TEMPLATE = "public/_print_stamp.html"
MANIFEST = "manifest.json"
HASH_CHUNK = 1024 * 1024
STATIC_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


class PackMismatch(RuntimeError):
    """The list's tallies disagree with its entries: a pack would say one number and list another."""


class PackFailed(RuntimeError):
    """The pack's layout stopped (an error, or its process was killed)."""


@dataclass(eq=False)
class Group:
    """Entries under one heading: the drafting organisations, the other organisations, or the named
    individuals of one country. ``opens``: the heading is shown here (not in an earlier part)."""

    country: str | None
    opens: bool
    entries: Iterable[listing.PublicEntry]


@dataclass(eq=False)
class Section:
    """A section of the list (``kind``: drafters, organisations or individuals) and its groups;
    ``count`` the number its heading gives, if any."""

    kind: str
    count: int | None
    opens: bool
    groups: Iterable[Group]


@dataclass
class Part:
    """What the template shows: the letter, its facts and counts if ``first``; then ``sections``."""

    first: bool
    sections: Iterable[Section]


@dataclass
class PackList:
    """What a pack lists, in the order it lists it: read lazily, inside one ``snapshot``.

    Each section is a generator the template (or the CSV writer) walks once; ``listed`` counts what
    was handed out, by kind, so a pack can check its names against its counts."""

    view: LetterView
    counts: tallies.Counts
    made_at: dt.datetime
    #: The latest signed snapshot of the list (``snapshots.summary``), printed and in the manifest.
    signed_snapshot: dict | None = None
    listed: dict[str, int] = field(default_factory=lambda: {"organisation": 0, "individual": 0})

    @property
    def letter_id(self) -> int:
        return self.view.letter.id

    @property
    def snapshot_time(self) -> dt.datetime | None:
        """When the latest signed snapshot was taken, for the page to write in its language."""
        if self.signed_snapshot is None:
            return None
        return dt.datetime.fromisoformat(self.signed_snapshot["time"].replace("Z", "+00:00"))

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
    def sections(self) -> Iterator[Section]:
        """The whole list, streamed: the drafting organisations (a few: the letter names them,
        moderators mark some), the other organisations, the named individuals by country."""
        entries = lambda rows: (listing.PublicEntry(*row) for row in rows)  # noqa: E731
        drafters = list(entries(self.drafter_rows()))
        if drafters:
            yield Section("drafters", len(drafters), True, [Group(None, True, drafters)])
        if self.counts.organisations > len(drafters):
            yield Section("organisations", self.counts.organisations - len(drafters), True,
                          [Group(None, True, entries(self.organisation_rows()))])
        if self.counts.named_individuals:
            yield Section("individuals", None, True,
                          (Group(code, True, entries(rows)) for code, rows in self.individual_groups()))

    def whole(self) -> Part:
        """The print page: the letter and every name."""
        return Part(first=True, sections=self.sections())

    def parts(self, size: int) -> Iterator[Part]:
        """The list in parts of ``size`` entries (the first also holds the letter), each read as it
        is needed: a part's entries are in memory, never the list's."""
        flat = ((section, group, entry) for section in self.sections() for group in section.groups
                for entry in group.entries)
        last_section: Section | None = None
        last_group: Group | None = None
        first = True
        while (chunk := list(islice(flat, size))) or first:
            sections = []
            for section, in_section in groupby(chunk, key=itemgetter(0)):
                groups = [Group(group.country, group is not last_group, [entry for *_, entry in in_group])
                          for group, in_group in groupby(in_section, key=itemgetter(1))]
                sections.append(Section(section.kind, section.count, section is not last_section, groups))
            if chunk:
                last_section, last_group, _ = chunk[-1]
            yield Part(first=first, sections=sections)
            first = False

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
    latest = snapshots.latest(view.letter.id)
    return PackList(view=view, counts=tallies.counts(view.letter.id), made_at=utcnow(),
                    signed_snapshot=snapshots.summary(latest) if latest else None)


def print_page(view: LetterView) -> Iterator[str]:
    """The print page of ``view``, in pieces, read in one snapshot (for a request)."""
    with snapshot():
        yield from print_html(pack_list(view))


def print_html(pack: PackList, part: Part | None = None) -> Iterator[str]:
    """The print page (or one ``part`` of the PDF), in pieces: the one template of both."""
    return stream_template(TEMPLATE, view=pack.view, pack=pack, counts=pack.counts, part=part or pack.whole(),
                           country_totals=pack.counts.top_countries(limit=len(pack.counts.by_country)))


def public_csv(pack: PackList) -> Iterator[str]:
    """The CSV of the pack's entries: the public open data's columns and rules."""
    return exports.csv_chunks(exports.PUBLIC_CSV_COLUMNS,
                              exports.public_csv_rows(pack.all_rows(), dict(i18n.country_choices())), neutralised=True,
                              for_spreadsheets=True)


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

    Call outside any request. The list is read in one ``snapshot``, laid out and stamped in a child
    process (``lay_out``); this process joins the parts. WeasyPrint's layouts leave a heap of some
    400 MB that Python keeps for itself, however little of it is still used: the join done after
    them in the same process needed as much again (584 MB at 100,000 names); done beside them, each
    process stays within its own bound (BENCHMARKS.md)."""
    output.mkdir(parents=True, exist_ok=True)
    pdf_name, csv_name, manifest_name = file_names(view.letter.slug, language)
    with tempfile.TemporaryDirectory() as scratch:
        laid_out = in_child_process(lay_out, view, language, Path(scratch), output / csv_name)
        join([RenderedPart(Path(path), pages, depth) for path, pages, depth in laid_out["parts"]], output / pdf_name)
    counts = laid_out["counts"]
    manifest = {
        "letter": view.letter.slug,
        "language": language,
        "text_language": view.text.language,
        "title": view.text.title,
        "version": view.text.version,
        "made_at": laid_out["made_at"],
        "count": {**counts, "listed": counts["organisations"] + counts["named_individuals"]},  # checked
        "snapshot": laid_out["snapshot"],
        "files": [{"name": name, "sha256": sha256_of(output / name), "bytes": (output / name).stat().st_size}
                  for name in (pdf_name, csv_name)],
    }
    (output / manifest_name).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def lay_out(view: LetterView, language: str, scratch: Path, csv_path: Path) -> dict:
    """Read the list in one snapshot; write the CSV, and the PDF's parts to ``scratch``, each laid
    out and stamped; check the names against the counts. Returns the parts and the counts."""
    static_url = current_app.config["SITE_URL"] + current_app.static_url_path + "/"
    fetcher = local_fetcher(static_url, Path(current_app.static_folder or "static"))
    with page_context(view, language) as page_url, snapshot(), \
            quiet("weasyprint"):  # its progress, and every rule of site.css it does not know
        pack = pack_list(view)
        pdf = PdfMaker(pack, {"base_url": page_url, "url_fetcher": fetcher}, scratch)
        pdf.render_parts(current_app.config["PACK_PART_SIZE"])
        pack.check()
        _write(csv_path, public_csv(pack))
        pack.check()
        pdf.stamp_parts()
    return {
        "parts": [[str(part.path), part.pages, part.depth] for part in pdf.parts],
        "made_at": pack.made_at.isoformat(),
        "snapshot": pack.signed_snapshot,
        "counts": {"organisations": pack.counts.organisations, "named_individuals": pack.counts.named_individuals,
                   "unnamed_individuals": pack.counts.unnamed_individuals, "total": pack.counts.total},
    }


def in_child_process(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in a forked child, its memory gone with it; returns what it returned, or
    raises ``PackMismatch`` or ``PackFailed`` for what stopped it. The child opens its own database
    connections (none of this process's: its transaction is ended first)."""
    db.session.rollback()
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_run_in_child, args=(sending, function, args), name="delivery-pack")
    child.start()
    sending.close()
    try:
        outcome, value = receiving.recv()
    except EOFError:
        outcome, value = "error", "its process ended without an answer"
    finally:
        receiving.close()
        child.join()
    if outcome == "mismatch":
        raise PackMismatch(value)
    if outcome != "done" or child.exitcode != 0:
        raise PackFailed(f"the pack could not be laid out ({value}; exit code {child.exitcode})")
    return value


def _run_in_child(sending: Connection, function: Callable[..., Any], args: tuple) -> None:
    db.engine.dispose(close=False)  # the parent's connections stay the parent's
    try:
        sending.send(("done", function(*args)))
    except PackMismatch as mismatch:
        sending.send(("mismatch", str(mismatch)))
    except Exception as error:
        logging.getLogger(__name__).exception("delivery pack layout failed")
        sending.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        sending.close()


#: The parts of a pack's PDF draw no running header nor page number: the blank page laid over each
#: does. (``!important``: WeasyPrint puts these rules before the page's own stylesheets.)
BARE_PAGES = "@page { @top-center { content: none !important; } @bottom-center { content: none !important; } }"
#: The page laid over each: transparent but for its header and its number out of the whole PDF
#: (pack.css says ``counter(pages)``, which would be the part's own count).
STAMP = """html, body {{ background: none !important; }}
.pack__stamp {{ visibility: hidden; margin: 0; }}
.pack__stamp + .pack__stamp {{ break-before: page; }}
@page :first {{ counter-set: page {first}; }}
@page {{ @bottom-center {{ content: counter(page) " / {total}" !important; }} }}"""


@dataclass
class RenderedPart:
    """One part of the PDF on disk: its pages, and the depth of its top-level bookmarks in the whole
    outline (0, the letter's title, in the first part; then 1, a section, or 2, a country, when the
    part begins inside the individuals)."""

    path: Path
    pages: int
    depth: int


class PdfMaker:
    """A pack's PDF, laid out part by part (``render_parts``), each part then stamped
    (``stamp_parts``); ``join`` makes them one file."""

    def __init__(self, pack: PackList, html_options: dict, scratch: Path) -> None:
        self.pack, self.html_options, self.scratch = pack, html_options, scratch
        self.parts: list[RenderedPart] = []

    def _document(self, html: str, css: str) -> Any:
        from weasyprint import CSS, HTML

        return HTML(string=html, **self.html_options).render(stylesheets=[CSS(string=css)])

    def render_parts(self, size: int) -> None:
        """Lay out the list ``size`` entries at a time, each part to a PDF of its own."""
        for number, part in enumerate(self.pack.parts(size)):
            document = self._document("".join(print_html(self.pack, part)), BARE_PAGES)
            path = self.scratch / f"part-{number:05d}.pdf"
            document.write_pdf(path)
            opening = next(iter(part.sections), None)
            depth = 0 if part.first else 2 if opening and opening.kind == "individuals" and not opening.opens else 1
            self.parts.append(RenderedPart(path, len(document.pages), depth))

    def _stamps(self, first: int, count: int, total: int) -> PdfReader:
        """``count`` blank pages numbered from ``first`` out of ``total``, with the running header."""
        from pypdf import PdfReader

        html = render_template(STAMP_TEMPLATE, view=self.pack.view, pages=count)
        return PdfReader(io.BytesIO(self._document(html, STAMP.format(first=first, total=total))
                                    .write_pdf()))

    def stamp_parts(self) -> None:
        """Give each part's pages their running header and their number out of the whole: each part
        on its own, written back to disk (a stamped page holds its merged content stream until
        written: stamping in the joining writer kept the whole list's in memory)."""
        total = sum(part.pages for part in self.parts)
        first = 1
        for part in self.parts:
            self._stamp(part, first, total)
            first += part.pages

    def _stamp(self, part: RenderedPart, first: int, total: int) -> None:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(part.path))
        stamps = self._stamps(first, part.pages, total)
        for page, stamp in zip(writer.pages, stamps.pages, strict=True):
            page.merge_page(stamp)
            page.compress_content_streams()
        with part.path.open("wb") as handle:
            writer.write(handle)


def join(parts: list[RenderedPart], target: Path) -> None:
    """One PDF of the stamped parts, in order: the parts' bookmarks in one outline, the first part's
    title and language.

    Joined with qpdf (pikepdf), which reads each part's objects when it writes them: pypdf held
    every page of the list as Python objects until the end (102 to 475 MB at 100,000 names, the
    peak of the whole pack; see BENCHMARKS.md). pypdf still reads each part's bookmarks."""
    import pikepdf
    from pypdf import PdfReader

    sources: list[pikepdf.Pdf] = []
    try:
        with pikepdf.new() as whole:
            with whole.open_outline() as outline:
                parents: dict[int, pikepdf.OutlineItem] = {}
                for part in parts:
                    start = len(whole.pages)
                    source = pikepdf.open(part.path)  # kept open: qpdf copies its pages when saving
                    sources.append(source)
                    whole.pages.extend(source.pages)
                    reader = PdfReader(part.path)
                    _copy_outline(outline.root, reader, reader.outline, start, parents, part.depth)
                    if part is parts[0]:
                        for key, value in source.docinfo.items():
                            whole.docinfo[key] = value
                        if "/Lang" in source.Root:
                            whole.Root.Lang = source.Root.Lang
            whole.save(target)
    finally:
        for source in sources:
            source.close()


def _copy_outline(root: list, reader: PdfReader, items: list, start: int, parents: dict, depth: int) -> None:
    """Add a part's bookmarks (``items``: each followed by the list of its children, if any) at
    ``depth``, under the last bookmark one level up, pointing ``start`` pages further on."""
    import pikepdf

    for item in items:
        if isinstance(item, list):
            _copy_outline(root, reader, item, start, parents, depth + 1)
            continue
        page = start + (reader.get_destination_page_number(item) or 0)
        left, top = (None if value is None else float(value) for value in (item.left, item.top))
        bookmark = pikepdf.OutlineItem(str(item.title), page, pikepdf.PageLocation.XYZ, left=left, top=top)
        (parents[depth - 1].children if depth - 1 in parents else root).append(bookmark)
        parents[depth] = bookmark


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


def read_manifest(archive: IO[bytes]) -> dict:
    """The manifest inside a pack's ZIP."""
    with zipfile.ZipFile(archive) as bundle:
        name = next(name for name in bundle.namelist() if name.endswith(MANIFEST))
        return json.loads(bundle.read(name))
