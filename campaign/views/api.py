"""The JSON API (``/api/v1``) and the embeddable counter: open data for journalists and partners."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from .. import i18n, letters, publication
from ..models import SignatureKind
from ..openapi import openapi_document
from ..security import allow_framing, public_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")
embed = Blueprint("embed", __name__, url_prefix="/embed")
MAX_LIMIT = 500


@bp.after_request
def open_to_all_origins(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.errorhandler(HTTPException)
def json_error(error: HTTPException):
    response = jsonify(error={"status": error.code, "message": error.description})
    response.status_code = error.code or 500
    return response


def _letter(slug: str):
    found = letters.letter_by_slug(slug)
    if found is None:
        abort(404, description="No letter with this slug.")
    return found


def _json(payload, status: int = 200):
    response = make_response(jsonify(payload), status)
    return public_response(response)


@bp.get("/letters/<slug>")
def letter(slug: str):
    found = _letter(slug)
    counts = publication.counts(found.id)
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
        "links": {
            "letter": {code: i18n.absolute_url("public.letter_by_slug", lang=code, slug=found.slug) for code in titles},
            "signatories": i18n.absolute_url("api.signatories", slug=found.slug),
            "history": i18n.absolute_url("api.history", slug=found.slug),
        },
    })


def _list_query() -> tuple[publication.ListQuery, int]:
    args = request.args
    kind = next((k for k in SignatureKind if k.value == args.get("kind", "organisation")), None)
    if kind is None:
        abort(400, description="kind must be 'organisation' or 'individual'.")
    sort = args.get("sort", "name")
    if sort not in publication.SORTS:
        abort(400, description="sort must be 'name' or 'date'.")
    country = args.get("country", "").upper() or None
    if country and not i18n.is_country(country):
        abort(400, description="country must be an ISO 3166-1 alpha-2 code.")
    direction = args.get("direction", "next")
    if direction not in ("next", "prev"):
        abort(400, description="direction must be 'next' or 'prev'.")
    limit = args.get("limit", str(publication.PAGE_SIZE))
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        abort(400, description=f"limit must be a number from 1 to {MAX_LIMIT}.")
    query = publication.ListQuery(kind=kind, country=country, text=(args.get("q") or "").strip()[:100] or None,
                                  sort=sort, cursor=args.get("cursor") or None, backwards=direction == "prev")
    return query, int(limit)


@bp.get("/letters/<slug>/signatories")
def signatories(slug: str):
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


@bp.get("/letters/<slug>/history")
def history(slug: str):
    found = _letter(slug)
    return _json({"data": [
        {"date": day.day.isoformat(), "published": day.published, "cumulative": day.cumulative}
        for day in publication.history(found.id)
    ]})


@bp.get("/openapi.json")
def openapi():
    return _json(openapi_document(current_app.config["SITE_URL"]))


@embed.get("/<slug>/counter")
def counter(slug: str):
    """A small page partner sites may frame: the count, in the language asked for (``?lang=``)."""
    found = letters.letter_by_slug(slug)
    if found is None:
        abort(404)
    requested = request.args.get("lang", "")
    g.lang = requested if requested in i18n.supported_codes() else i18n.negotiate()
    view = letters.letter_in_language(found, g.lang)
    html = render_template("embed/counter.html", view=view, count=publication.published_count(found.id),
                           letter_url=i18n.absolute_url("public.letter_by_slug", lang=g.lang, slug=slug),
                           sign_url=i18n.absolute_url("public.sign", lang=g.lang))
    response = public_response(make_response(html))
    response.vary.add("Accept-Language")
    return allow_framing(response)
