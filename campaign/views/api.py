"""The JSON API (``/api/v1``): open data for journalists and partners."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, jsonify, make_response, request
from flask.typing import ResponseReturnValue

from .. import letters
from ..lifecycle import goals, timeline, versions
from ..models import Letter, SignatureKind
from ..publication import changes, snapshots
from ..publication import counts as tallies
from ..publication import listing as publication
from ..web import i18n, parameters
from ..web.headers import public_response
from . import signing_now
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_LIMIT = 500


@bp.after_request
def open_to_all_origins(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _letter(slug: str) -> Letter:
    found = letters.letter_by_slug(slug)
    if found is None:
        abort(404, description="No letter with this slug.")
    return found


def _json(payload: object, status: int = 200) -> Response:
    response = make_response(jsonify(payload), status)
    return public_response(response)


@bp.get("/letters/<slug:slug>")
def letter(slug: str) -> ResponseReturnValue:
    found = _letter(slug)
    counts = tallies.counts(found.id)
    info = letters.LetterInfo.of(found)
    signing = signing_now(info)
    progress = goals.progress(found.goal, counts.total)
    titles = {text.language: text.title for text in found.texts if text.current}
    return _json({
        "slug": found.slug,
        "title": titles,
        "original_language": found.original_language,
        "languages": sorted(titles),
        "published_on": found.published_on.isoformat(),
        "drafted_by": found.drafted_by,
        "counts": {
            "total": counts.total,
            "organisations": counts.organisations,
            "individuals": counts.individuals,
            "individuals_named": counts.named_individuals,
            "individuals_unnamed": counts.unnamed_individuals,
            "by_country": [
                {"country": country, **groups} for country, groups in sorted(counts.by_country.items())
                if groups["organisations"] or groups["individuals"]
            ],
        },
        "signing": {"open": signing.open, "paused": signing.paused, "closes_at": _time(found.closes_at)},
        "stage": timeline.stage(info),
        "goal": {"first": found.goal, "next": progress.goal if progress else None},
        "links": {
            "letter": {code: i18n.absolute_url("letter.page", lang=code, slug=found.slug) for code in titles},
            "timeline": i18n.absolute_url("api.timeline_events", slug=found.slug),
            "timeline_atom": {code: i18n.absolute_url("timeline.atom", lang=code, slug=found.slug) for code in titles},
            "signatories": i18n.absolute_url("api.signatories", slug=found.slug),
            "history": i18n.absolute_url("api.history", slug=found.slug),
            "versions": i18n.absolute_url("api.text_versions", slug=found.slug),
            "changes": i18n.absolute_url("api.changes_since", slug=found.slug),
            "changes_atom": {code: i18n.absolute_url("signatories.changes_atom", lang=code, slug=found.slug)
                             for code in titles},
        },
    })


def _list_query() -> tuple[publication.ListQuery, int]:
    args = request.args
    kind = SignatureKind(parameters.choice(args, "kind", [k.value for k in SignatureKind], "organisation"))
    sort = parameters.choice(args, "sort", publication.SORTS, "name")
    country = (parameters.text(args, "country", 10) or "").upper() or None
    if country and not i18n.is_country(country):
        abort(400, description="country: an ISO 3166-1 alpha-2 code.")
    direction = parameters.choice(args, "direction", ("next", "prev"), "next")
    limit = parameters.number(args, "limit", 1, MAX_LIMIT) or publication.PAGE_SIZE
    query = publication.ListQuery(kind=kind, country=country, text=parameters.text(args, "q"), sort=sort,
                                  cursor=parameters.text(args, "cursor", publication.MAX_CURSOR_LENGTH),
                                  backwards=direction == "prev",
                                  verified=parameters.choice(args, "verified", ("0", "1"), "0") == "1")
    return query, limit


@bp.get("/letters/<slug:slug>/signatories")
def signatories(slug: str) -> ResponseReturnValue:
    found = _letter(slug)
    query, limit = _list_query()
    page = publication.list_page(found.id, query, limit)

    def link(cursor: str | None, direction: str) -> str | None:
        if cursor is None:
            return None
        args = {**request.args.to_dict(), "cursor": cursor, "direction": direction}
        return i18n.absolute_url("api.signatories", slug=slug, **args)

    return _json({
        "data": [entry.as_dict() for entry in page.entries],
        "next_cursor": page.next_cursor,
        "prev_cursor": page.previous_cursor,
        "links": {"next": link(page.next_cursor, "next"), "prev": link(page.previous_cursor, "prev")},
    })


@bp.get("/letters/<slug:slug>/changes")
def changes_since(slug: str) -> ResponseReturnValue:
    """What is new on the list, oldest first: the organisations published at or after ``since`` (or
    after ``cursor``, the previous page's end), and the individuals published in the same span."""
    found = _letter(slug)
    args = request.args
    limit = parameters.number(args, "limit", 1, MAX_LIMIT) or publication.PAGE_SIZE
    cursor = parameters.text(args, "cursor", publication.MAX_CURSOR_LENGTH)
    since = parameters.moment(args, "since")
    since_snapshot = parameters.number(args, "since_snapshot", 0, parameters.MAX_ID)
    if cursor is not None:
        start = changes.Position.from_cursor(cursor)
        if start is None:
            abort(400, description="cursor: the next_cursor of a previous page.")
    elif since_snapshot is not None:
        snapshot = snapshots.by_number(found.id, since_snapshot)
        if snapshot is None:
            abort(404, description=f"since_snapshot: {_no_snapshot_with(found)}")
        start = snapshots.feed_position(snapshot)
    else:
        start = changes.Position.since(since) if since else None
    page = changes.changes_after(found.id, start, limit)
    next_cursor = page.end.cursor() if page.end else None
    return _json({
        "data": [{**change.entry.as_dict(), "published_at": _time(change.published_at)}
                 for change in page.organisations],
        "individuals": page.individuals,
        "until": _time(page.end.at) if page.end else None,
        "next_cursor": next_cursor,
        "links": {"next": i18n.absolute_url("api.changes_since", slug=slug, cursor=next_cursor, limit=limit)
                  if next_cursor else None},
    })


def _snapshot(snapshot: snapshots.Snapshot, slug: str) -> dict:
    return {
        "number": snapshot.number, "time": _time(snapshot.created_at), "count": snapshot.count,
        "added": snapshot.added, "removed": snapshot.removed, "root": snapshot.root,
        "statement_hash": snapshot.statement_hash, **snapshots.signed(snapshot),
        "links": {"self": i18n.absolute_url("api.snapshot", slug=slug, number=snapshot.number),
                  "changes_since": i18n.absolute_url("api.changes_since", slug=slug, since_snapshot=snapshot.number)},
    }


@bp.get("/letters/<slug:slug>/snapshots")
def snapshot_list(slug: str) -> ResponseReturnValue:
    """Every signed snapshot of the list, oldest first: what ``tools/verify_snapshot.py chain`` checks."""
    found = _letter(slug)
    return _json({"public_key": snapshots.public_key(),
                  "data": [_snapshot(snapshot, slug) for snapshot in snapshots.all_of(found.id)]})


def _no_snapshot_with(letter: Letter) -> str:
    """What to say of a snapshot number that names none, the same wherever a number is given."""
    newest = snapshots.latest(letter.id)
    if newest is None:
        return "no snapshot with this number (the letter has no snapshot yet)."
    return f"no snapshot with this number (the letter's are numbered from 1 to {newest.number})."


@bp.get("/letters/<slug:slug>/snapshots/<number>")
def snapshot(slug: str, number: str) -> ResponseReturnValue:
    """One snapshot by its number; a number that names none (``0``, ``abc``, one not signed yet)
    gets the same answer."""
    found = _letter(slug)
    digits = number.lstrip("0") or "0"
    wanted = int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 10 else None
    snapshot = snapshots.by_number(found.id, wanted) if wanted else None
    if snapshot is None:
        abort(404, description=_no_snapshot_with(found).capitalize())
    return _json(_snapshot(snapshot, slug))


@bp.get("/letters/<slug:slug>/entries/<public_id>/proof")
def entry_proof(slug: str, public_id: str) -> ResponseReturnValue:
    """A published entry's inclusion proof in the latest snapshot or a given one
    (``tools/verify_snapshot.py proof``)."""
    found = _letter(slug)
    number = parameters.number(request.args, "snapshot", 0, parameters.MAX_ID)
    if not snapshots.is_public_id(public_id):
        abort(404, description="No proof: no entry with this public id on the list.")
    if number is not None and snapshots.by_number(found.id, number) is None:
        abort(404, description=f"No proof: {_no_snapshot_with(found)}")
    try:
        proof = snapshots.proof(found, public_id, number)
    except snapshots.NoProof as error:
        abort(404, description=f"No proof: {error}.")
    return _json(proof.document)


@bp.get("/letters/<slug:slug>/history")
def history(slug: str) -> ResponseReturnValue:
    found = _letter(slug)
    return _json({"data": [
        {"date": day.day.isoformat(), "published": day.published, "cumulative": day.cumulative}
        for day in tallies.history(found.id)
    ]})


@bp.get("/letters/<slug:slug>/timeline")
def timeline_events(slug: str) -> ResponseReturnValue:
    """The timeline, newest first, with each event's words in every language they were written in."""
    info = letters.LetterInfo.of(_letter(slug))
    return _json({"data": [{
        "id": entry.anchor,
        "kind": entry.kind,
        "at": _time(entry.at),
        "updated": _time(entry.updated),
        "goal": entry.goal,
        "texts": {code: {"title": words.title, "summary": words.summary} for code, words in entry.texts},
        "link": entry.link,
        "file": i18n.absolute_url("files.timeline_file", name=entry.file.name) if entry.file else None,
    } for entry in timeline.entries(info, info.original_language)]})


@bp.get("/letters/<slug:slug>/versions")
def text_versions(slug: str) -> ResponseReturnValue:
    """Every text the letter has had in each language, newest first; the original's language first."""
    found = _letter(slug)
    codes = sorted({text.language for text in found.texts}, key=lambda code: (code != found.original_language, code))
    languages = []
    for code in codes:
        status = versions.status(found.id, code, found.original_language)
        languages.append({
            "language": code,
            "original": code == found.original_language,
            "out_of_date": bool(status and status.out_of_date),
            "page": i18n.absolute_url("versions.page", lang=code, slug=found.slug),
            "versions": [{
                "version": entry.version,
                "loaded_at": _time(entry.loaded_at),
                "title": entry.title,
                "current": entry.current,
                "link": i18n.absolute_url("versions.page", lang=code, slug=found.slug, _anchor=entry.anchor),
            } for entry in versions.history(found.id, code, compared=False)],
        })
    return _json({"data": languages})


def _time(moment: dt.datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return _json(openapi_document(current_app.config["SITE_URL"]))
