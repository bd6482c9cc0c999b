"""The public list of a letter's signatories, its charts, and its open-data CSV."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from urllib.parse import urlsplit

from flask import Response, current_app, g, make_response, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, get_translations
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..letters import LetterView
from ..lifecycle import closing, feed
from ..models import SignatureKind
from ..publication import changes, charts, exports, pack, sharing
from ..publication import counts as tallies
from ..publication import listing as publication
from ..text import search_key
from ..web import caches, dates, i18n, parameters
from ..web.headers import public_response
from . import current_view, letter_route, reader_blueprint, signing_now
from .letter import shared_page_response

bp = reader_blueprint("signatories", __name__)


@dataclass(frozen=True)
class ListArguments:
    kind: SignatureKind | None
    country: str | None
    text: str | None
    sort: str
    after: str | None
    before: str | None
    start: str | None = None
    verified: bool = False  # only organisations verified by their own domain

    @property
    def filtered(self) -> bool:
        return bool(self.country or self.text or self.verified)


def list_arguments(args: MultiDict[str, str]) -> ListArguments:
    """The list's GET parameters: what is unknown is ignored rather than refused (an old link keeps
    working); only what no person types (control characters) is refused."""
    kind = parameters.lenient_choice(args, "kind", [k.value for k in SignatureKind])
    country = (parameters.text(args, "country", 10) or "").upper()
    return ListArguments(
        kind=SignatureKind(kind) if kind else None,
        country=country if i18n.is_country(country) else None,
        text=parameters.text(args, "q"),
        sort=parameters.lenient_choice(args, "sort", publication.SORTS) or "name",
        after=parameters.text(args, "after", publication.MAX_CURSOR_LENGTH),
        before=parameters.text(args, "before", publication.MAX_CURSOR_LENGTH),
        start=search_key(parameters.text(args, "start", 8))[:1] or None,
        verified=parameters.lenient_choice(args, "verified", ("1",)) == "1",
    )


@dataclass
class Section:
    kind: SignatureKind
    page: publication.ListPage
    count: int | None
    initials: list[str] = field(default_factory=list)


def _section_count(counts: tallies.Counts, kind: SignatureKind, arguments: ListArguments) -> int | None:
    """What the section lists: organisations, or the named individuals only (those counted without
    being named are told apart in the totals above the sections)."""
    if arguments.text or arguments.verified:
        return None
    if kind is SignatureKind.INDIVIDUAL:
        return counts.named_by_country.get(arguments.country, 0) if arguments.country else counts.named_individuals
    if arguments.country:
        return counts.by_country.get(arguments.country, {"organisations": 0})["organisations"]
    return counts.organisations


def _kinds(arguments: ListArguments) -> list[SignatureKind]:
    """The sections asked for: only organisations can be verified by their domain."""
    if arguments.verified:
        return [SignatureKind.ORGANISATION]
    return [arguments.kind] if arguments.kind else [SignatureKind.ORGANISATION, SignatureKind.INDIVIDUAL]


@letter_route(bp, "/signatories", endpoint="list")
def list_page() -> ResponseReturnValue:
    """First pages (any kind, country and sort, no search) are the same for every reader: each process
    keeps them for LETTER_PAGE_CACHE_SECONDS. Searches and later pages are always fresh."""
    arguments = list_arguments(request.args)
    cacheable = not (arguments.text or arguments.after or arguments.before)
    signing = signing_now(current_view().letter)
    key = caches.list_page_key(g.letter_slug, g.lang, arguments.kind, arguments.country, arguments.sort,
                               arguments.start, signing, arguments.verified)
    html = caches.get(key) if cacheable else None
    if html is None:
        html = _list_html(arguments, signing)
        if cacheable:
            caches.put(key, html, current_app.config["LETTER_PAGE_CACHE_SECONDS"])
    return shared_page_response(key, html) if cacheable else public_response(make_response(html))


def _list_html(arguments: ListArguments, signing: closing.Signing) -> str:
    view = current_view()
    counts = tallies.counts(view.letter.id)
    kinds = _kinds(arguments)
    first_view = not arguments.filtered and not arguments.after and not arguments.before and not arguments.start
    # Unfiltered, the drafting organisations are listed apart (above, on the first page) and the
    # organisations' section neither shows nor counts them.
    drafters = publication.drafting_organisations(view.letter.id) \
        if not arguments.filtered and arguments.kind in (None, SignatureKind.ORGANISATION) else []
    sections = []
    for kind in kinds:
        paging = arguments.kind is kind
        query = publication.ListQuery(
            kind=kind, country=arguments.country, text=arguments.text, sort=arguments.sort,
            cursor=(arguments.before or arguments.after) if paging else None,
            backwards=paging and bool(arguments.before), start=arguments.start if paging else None,
            verified=arguments.verified,
        )
        count = _section_count(counts, kind, arguments)
        if count is not None and kind is SignatureKind.ORGANISATION and drafters:
            count -= len(drafters)  # listed apart, above: the section counts what it shows
        by_initial = kind is SignatureKind.ORGANISATION and arguments.sort == "name" and not arguments.filtered
        sections.append(Section(kind, publication.list_page(view.letter.id, query, drafters_apart=True), count,
                                publication.initials(view.letter.id, kind) if by_initial else []))
    names = dict(i18n.country_choices())
    rtl = i18n.describe(i18n.current_language()).direction == "rtl"
    growth = tallies.history(view.letter.id) if first_view else []
    top = [(names[code], count) for code, count in counts.top_countries() if code in names] if first_view else []
    return render_template(
        "public/signatories.html", view=view, arguments=arguments, counts=counts, sections=sections,
        drafters=drafters if first_view else [], growth=growth, top_countries=top, signing=signing,
        growth_chart=charts.growth_chart(growth, _("Signatures published over time"), format_decimal,
                                         lambda day: dates.date(day, "medium"), rtl=rtl) if len(growth) > 1 else None,
        country_chart=charts.country_chart(top, _("Countries with the most signatures"), format_decimal,
                                           rtl=rtl) if top else None,
        query={key: value for key, value in request.args.items() if key not in ("after", "before", "kind", "start")},
        print_url=i18n.absolute_url("signatories.print_page"),
        preview=sharing.preview_of(
            view, counts.total, title=f'{_("Signatories")} · {view.text.title}', kind="website",
            description=_("Who has signed the open letter: organisations and individuals."),
            url=i18n.absolute_url("signatories.list")),
    )


@letter_route(bp, "/signatories.csv", endpoint="csv")
def csv_export() -> ResponseReturnValue:
    view = current_view()
    arguments = list_arguments(request.args)
    response = _streamed_list(view, "text/csv", request.query_string.decode("latin-1"))
    response.headers["Content-Disposition"] = f'attachment; filename="{view.letter.slug}-signatories.csv"'
    if response.status_code == 304:
        return response
    kinds = _kinds(arguments)
    response.response = stream_with_context(exports.csv_chunks(
        exports.PUBLIC_CSV_COLUMNS, _public_csv_rows(view.letter.id, kinds, arguments), neutralised=True))
    return response


@letter_route(bp, "/print", endpoint="print_page")
def print_page() -> ResponseReturnValue:
    """Every name on one page, for printing: the delivery pack's HTML (its PDF is made from the
    same template), read in one snapshot and streamed."""
    view = current_view()
    response = _streamed_list(view, "text/html", "print|" + view.text.version)
    if response.status_code != 304:
        response.response = stream_with_context(pack.print_page(view))
    return response


def _streamed_list(view: LetterView, mimetype: str, variant: str) -> Response:
    """A streamed answer about the list, without its body yet: cacheable, tagged with the list's
    version, ``304`` when the reader has it already (then nothing is read)."""
    tag = exports.version_tag("|".join((publication.list_version(view.letter.id), view.letter.slug, g.lang, variant)))
    response = Response(mimetype=mimetype)
    response.set_etag(tag)
    response.headers["Cache-Control"] = current_app.config["PUBLIC_CACHE_CONTROL"]
    if request.if_none_match.contains(tag):
        response.status_code = 304
    return response


def _public_csv_rows(letter_id: int, kinds: list[SignatureKind], arguments: ListArguments) -> Iterator[tuple[str, ...]]:
    rows = chain.from_iterable(
        publication.public_rows(letter_id, publication.ListQuery(kind=kind, country=arguments.country, text=arguments.text,
                                                                 verified=arguments.verified))
        for kind in kinds)
    return exports.public_csv_rows(rows, dict(i18n.country_choices()))


@letter_route(bp, "/changes.atom", endpoint="changes_atom")
def changes_atom() -> ResponseReturnValue:
    """The list's change feed: a day's new organisations (name, country, website) and how many
    individuals, for the days with publications in the month up to the latest. Kept per process
    for as long as the list does not change (its version is in the key)."""
    view = current_view()
    key = caches.changes_feed_key(g.letter_slug, g.lang, publication.list_version(view.letter.id))
    body = caches.get(key)
    if body is None:
        days = changes.recent_days(view.letter.id)
        body = caches.put(key, feed.changes_atom(
            days, updated=changes.feed_updated(view.letter.id, days),
            title=_("New signatories: %(title)s", title=view.text.title),
            language=g.lang, page_url=i18n.absolute_url("signatories.list", slug=view.letter.slug),
            feed_url=i18n.absolute_url("signatories.changes_atom", slug=view.letter.slug),
            publisher=current_app.config["SITE_NAME"],
            heading=_day_heading, summary=_day_summary,
        ), current_app.config["LETTER_PAGE_CACHE_SECONDS"])
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    return public_response(response)


def _day_heading(day: changes.Day) -> str:
    return _("Signed on %(date)s", date=dates.date(day.day, "long"))


def _day_summary(day: changes.Day) -> str:
    """A day's changes as plain text: the organisations, one a line, then the individuals' count."""
    translations = get_translations()
    lines = []
    if day.organisations:
        lines.append(translations.ungettext("%(num)s new organisation:", "%(num)s new organisations:",
                                            len(day.organisations)) % {"num": format_decimal(len(day.organisations))})
        for change in day.organisations:
            entry = change.entry
            country = i18n.country_name(entry.country) if entry.country else ""
            parts = [entry.organisation or ""] + ([f"({country})"] if country else [])
            if entry.website:
                parts.append(entry.website)
            if entry.verified:
                parts.append("· " + _("Verified domain"))
            lines.append("– " + " ".join(parts))
    if day.individuals:
        lines.append(translations.ungettext("%(num)s new individual", "%(num)s new individuals", day.individuals)
                     % {"num": format_decimal(day.individuals)})
    return "\n".join(lines)


@bp.app_template_filter("site_host")
def site_host(url: str) -> str:
    """A website as people read it: its host, without scheme or ``www.``."""
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")
