"""The OpenAPI 3.1 description of ``/api/v1``. Tests validate it and check the API against it."""

from __future__ import annotations

from functools import lru_cache

COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2 code"}
NULLABLE_STRING = {"type": ["string", "null"]}
VERIFIED = ("An organisation that confirmed its signature from an email address on its website's domain "
            "(or a subdomain of it). Compared from what we hold, never looked up; a webmail or free-hosting "
            "domain never counts. Always false for individuals.")


def _parameter(name: str, description: str, schema: dict, required: bool = False, location: str = "query") -> dict:
    return {"name": name, "in": location, "required": required, "description": description, "schema": schema}


SLUG = _parameter("slug", "The letter's slug, e.g. ban-biometric-surveillance.", {"type": "string"}, True, "path")
CACHING = {
    "ETag": {"description": "Validator for conditional requests (If-None-Match).", "schema": {"type": "string"}},
    "Cache-Control": {"description": "Public, cacheable for about a minute.", "schema": {"type": "string"}},
}


def _ok(schema: str, description: str) -> dict:
    return {
        "200": {"description": description, "headers": CACHING,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
        "304": {"description": "Not modified since the ETag given in If-None-Match."},
    }


ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


@lru_cache(maxsize=4)
def openapi_document(site_url: str) -> dict:
    document = _document(site_url)
    schemas = document["components"]["schemas"]
    _add_snapshots(document)
    signatory = schemas["Signatory"]
    # A change is an organisation's entry as the list gives it, and when it was published.
    schemas["OrganisationChange"] = {
        **signatory, "required": [*signatory["required"], "published_at"],
        "properties": {**signatory["properties"], "published_at": {"type": "string", "format": "date-time"}},
    }
    return document


HEX = {"type": "string", "pattern": "^[0-9a-f]*$"}
PUBLIC_ID = ("The entry's public id: random, stable, names it in the signed snapshots; "
             "/letters/{slug}/entries/{public_id}/proof gives its inclusion proof.")


def _add_snapshots(document: dict) -> None:
    """The signed snapshots of the list (``publication.snapshots``), their proofs, and the change list
    since a snapshot."""
    paths, schemas = document["paths"], document["components"]["schemas"]
    signatory = schemas["Signatory"]
    signatory["required"].append("public_id")
    signatory["properties"]["public_id"] = {"type": "string", "pattern": "^[0-9a-f]{32}$", "description": PUBLIC_ID}
    paths["/letters/{slug}/changes"]["get"]["parameters"].insert(2, _parameter(
        "since_snapshot", "Only what was published after the snapshot with this number (its place in the change "
                          "list: the latest publication when it was signed).", {"type": "integer", "minimum": 1}))
    number = _parameter("number", "The snapshot's number, from 1.", {"type": "integer", "minimum": 1}, True, "path")
    public_id = _parameter("public_id", PUBLIC_ID, {"type": "string"}, True, "path")
    paths["/letters/{slug}/snapshots"] = {"get": {
        "operationId": "listSnapshots",
        "summary": "Every signed snapshot of the public list, oldest first, and the key that signs them. Check "
                   "them with tools/verify_snapshot.py chain: each is signed, and each names the one before it.",
        "parameters": [SLUG],
        "responses": {**_ok("SnapshotList", "The snapshots."), "404": ERROR},
    }}
    paths["/letters/{slug}/snapshots/{number}"] = {"get": {
        "operationId": "getSnapshot", "summary": "One snapshot and its signed statement.",
        "parameters": [SLUG, number],
        "responses": {**_ok("Snapshot", "The snapshot."), "404": ERROR},
    }}
    paths["/letters/{slug}/entries/{public_id}/proof"] = {"get": {
        "operationId": "getProof",
        "summary": "A published entry's inclusion proof in the latest snapshot, or in the one asked for: the "
                   "entry, its salt, its leaf's index, the audit path (RFC 6962) and the signed statement. Check "
                   "it with tools/verify_snapshot.py proof. 404 when the entry is not on the list, or not (or not "
                   "as it is now) in that snapshot.",
        "parameters": [SLUG, public_id, _parameter(
            "snapshot", "The number of the snapshot to prove the entry in (a delivery pack's, say); the latest "
                        "when left out.", {"type": "integer", "minimum": 1})],
        "responses": {**_ok("Proof", "The proof."), "404": ERROR},
    }}
    statement = {
        "type": "object", "description": "Exactly what was signed (Ed25519, over the canonical JSON: keys sorted, "
                                         "no spaces, UTF-8).",
        "required": ["format", "letter", "number", "time", "count", "root", "added", "removed", "versions",
                     "previous"],
        "properties": {
            "format": {"type": "string"}, "letter": {"type": "string"}, "number": {"type": "integer", "minimum": 1},
            "time": {"type": "string", "format": "date-time"}, "count": {"type": "integer", "minimum": 0},
            "root": HEX, "added": {"type": "integer", "minimum": 0}, "removed": {"type": "integer", "minimum": 0},
            "versions": {"type": "object", "additionalProperties": {"type": "array", "items": HEX},
                         "description": "Every version of the letter's text by language, oldest first."},
            "previous": {"type": ["string", "null"], "description": "SHA-256 of the previous snapshot's statement."},
        },
    }
    schemas["SignedStatement"] = statement
    schemas["Snapshot"] = {
        "type": "object",
        "required": ["number", "time", "count", "added", "removed", "root", "statement_hash", "statement", "signature",
                     "links"],
        "properties": {
            "number": {"type": "integer", "minimum": 1}, "time": {"type": "string", "format": "date-time"},
            "count": {"type": "integer", "minimum": 0, "description": "Entries on the public list."},
            "added": {"type": "integer", "minimum": 0, "description": "Entries not in the snapshot before."},
            "removed": {"type": "integer", "minimum": 0,
                        "description": "Entries of the snapshot before no longer on the list (counted, never named)."},
            "root": HEX, "statement_hash": HEX, "statement": {"$ref": "#/components/schemas/SignedStatement"},
            "signature": HEX, "links": {"type": "object"},
        },
    }
    schemas["SnapshotList"] = {
        "type": "object", "required": ["public_key", "data"],
        "properties": {"public_key": {**NULLABLE_STRING, "description": "The Ed25519 signing key, base64."},
                       "data": {"type": "array", "items": {"$ref": "#/components/schemas/Snapshot"}}},
    }
    schemas["Proof"] = {
        "type": "object", "required": ["format", "entry", "salt", "leaf_index", "audit_path", "snapshot"],
        "properties": {
            "format": {"type": "string"},
            "entry": {"type": "object", "description": "The entry's public fields as its leaf holds them."},
            "salt": HEX, "leaf_index": {"type": "integer", "minimum": 0},
            "audit_path": {"type": "array", "items": HEX},
            "snapshot": {"type": "object", "required": ["statement", "signature"],
                         "properties": {"statement": {"$ref": "#/components/schemas/SignedStatement"},
                                        "signature": HEX}},
        },
    }


def _document(site_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Open letter signatories API",
            "version": "1.0.0",
            "description": "Public data about open letters and their published signatories. Read-only, no "
                           "authentication, CORS open for GET. Only public fields: never an email address, a "
                           "comment or an organisation's contact person. Individuals who chose not to be "
                           "named appear only in counts.",
        },
        "servers": [{"url": f"{site_url}/api/v1"}],
        "paths": {
            "/letters/{slug}": {"get": {
                "operationId": "getLetter", "summary": "A letter: titles, languages and counts.",
                "parameters": [SLUG],
                "responses": {**_ok("Letter", "The letter."), "404": ERROR},
            }},
            "/letters/{slug}/signatories": {"get": {
                "operationId": "listSignatories",
                "summary": "Published signatories of one kind, a page at a time (cursor pagination).",
                "parameters": [
                    SLUG,
                    _parameter("kind", "organisation (default) or individual.",
                               {"type": "string", "enum": ["organisation", "individual"], "default": "organisation"}),
                    _parameter("country", "Only this country.", COUNTRY),
                    _parameter("q", "Name or organisation contains this text (case and accents ignored).",
                               {"type": "string", "maxLength": 100}),
                    _parameter("verified", "1: only organisations verified by their own domain.",
                               {"type": "string", "enum": ["0", "1"], "default": "0"}),
                    _parameter("sort", "name (A to Z, default) or date (newest first).",
                               {"type": "string", "enum": ["name", "date"], "default": "name"}),
                    _parameter("cursor", "next_cursor or prev_cursor of a previous page.", {"type": "string"}),
                    _parameter("direction", "next (default) with next_cursor, prev with prev_cursor.",
                               {"type": "string", "enum": ["next", "prev"], "default": "next"}),
                    _parameter("limit", "Entries per page.", {"type": "integer", "minimum": 1, "maximum": 500,
                                                              "default": 100}),
                ],
                "responses": {**_ok("SignatoryPage", "One page of signatories."), "400": ERROR, "404": ERROR},
            }},
            "/letters/{slug}/changes": {"get": {
                "operationId": "listChanges",
                "summary": "What is new on the list, oldest first: the organisations published since a time, a "
                           "page at a time (cursor pagination), and how many individuals were published in the "
                           "same span. The counts of consecutive pages add up. An entry taken off the list is no "
                           "longer listed; a restored one keeps its first publication time. The same changes, a "
                           "day at a time, are in the Atom feed /{lang}/letters/{slug}/changes.atom.",
                "parameters": [
                    SLUG,
                    _parameter("since", "Only what was published at or after this time (RFC 3339, e.g. "
                                        "2026-11-30T12:00:00Z); from the first publication when absent.",
                               {"type": "string", "format": "date-time"}),
                    _parameter("cursor", "next_cursor of a previous page (then since is not needed).",
                               {"type": "string"}),
                    _parameter("limit", "Organisations per page.", {"type": "integer", "minimum": 1, "maximum": 500,
                                                                    "default": 100}),
                ],
                "responses": {**_ok("ChangesPage", "One page of changes."), "400": ERROR, "404": ERROR},
            }},
            "/letters/{slug}/timeline": {"get": {
                "operationId": "getTimeline",
                "summary": "What happened to the letter, newest first: published, goals reached, closed, "
                           "reopened, delivered, answered.",
                "parameters": [SLUG],
                "responses": {**_ok("Timeline", "The timeline."), "404": ERROR},
            }},
            "/letters/{slug}/versions": {"get": {
                "operationId": "getVersions",
                "summary": "Every text of the letter in each language (its SHA-256 version), newest first; "
                           "whether a translation is out of date (its original changed after it).",
                "parameters": [SLUG],
                "responses": {**_ok("Versions", "The versions by language."), "404": ERROR},
            }},
            "/letters/{slug}/history": {"get": {
                "operationId": "getHistory", "summary": "Signatures published per day, and the running total.",
                "parameters": [SLUG],
                "responses": {**_ok("History", "The daily history."), "404": ERROR},
            }},
        },
        "components": {"schemas": {
            "Letter": {
                "type": "object",
                "required": ["slug", "title", "original_language", "languages", "published_on", "drafted_by",
                             "counts", "signing", "stage", "goal", "links"],
                "properties": {
                    "slug": {"type": "string"},
                    "title": {"type": "object", "additionalProperties": {"type": "string"},
                              "description": "Title by language code."},
                    "original_language": {"type": "string"},
                    "languages": {"type": "array", "items": {"type": "string"}},
                    "published_on": {"type": "string", "format": "date"},
                    "drafted_by": {"type": "array", "items": {"type": "string"}},
                    "counts": {"$ref": "#/components/schemas/Counts"},
                    "signing": {
                        "type": "object", "required": ["open", "paused", "closes_at"],
                        "properties": {
                            "open": {"type": "boolean", "description": "Whether the letter takes signatures now."},
                            "paused": {"type": "boolean", "description": "Signing paused for a while (every letter)."},
                            "closes_at": {"type": ["string", "null"], "format": "date-time",
                                          "description": "When signing closes or closed (UTC); null: no closing date."},
                        },
                    },
                    "stage": {"type": "string", "enum": ["open", "closed", "delivered", "answered"]},
                    "goal": {
                        "type": "object", "required": ["first", "next"],
                        "description": "Once the count reaches a goal, the next is the next of 1, 2, 5 × 10ⁿ above it.",
                        "properties": {"first": {"type": ["integer", "null"], "minimum": 1},
                                       "next": {"type": ["integer", "null"], "minimum": 1}},
                    },
                    "links": {"type": "object"},
                },
            },
            "Counts": {
                "type": "object",
                "required": ["total", "organisations", "individuals", "individuals_named", "individuals_unnamed",
                             "by_country"],
                "properties": {
                    "total": {"type": "integer", "minimum": 0},
                    "organisations": {"type": "integer", "minimum": 0},
                    "individuals": {"type": "integer", "minimum": 0},
                    "individuals_named": {"type": "integer", "minimum": 0},
                    "individuals_unnamed": {"type": "integer", "minimum": 0},
                    "by_country": {"type": "array", "items": {"$ref": "#/components/schemas/CountryCount"}},
                },
            },
            "CountryCount": {
                "type": "object", "required": ["country", "organisations", "individuals"],
                "properties": {"country": COUNTRY, "organisations": {"type": "integer", "minimum": 0},
                               "individuals": {"type": "integer", "minimum": 0}},
            },
            "Signatory": {
                "type": "object", "additionalProperties": False,
                "required": ["kind", "name", "organisation", "role", "country", "website", "drafter", "published_on",
                             "verified"],
                "properties": {
                    "kind": {"type": "string", "enum": ["organisation", "individual"]},
                    "name": {**NULLABLE_STRING, "description": "An individual's name; null for organisations."},
                    "organisation": {**NULLABLE_STRING, "description": "An organisation's name, or an individual's "
                                                                        "affiliation (for identification only)."},
                    "role": {**NULLABLE_STRING, "description": "An individual's title or role; null for organisations."},
                    "country": COUNTRY,
                    "website": NULLABLE_STRING,
                    "drafter": {"type": "boolean", "description": "One of the organisations that drafted the letter."},
                    "published_on": {"type": ["string", "null"], "format": "date"},
                    "verified": {"type": "boolean", "description": VERIFIED},
                },
            },
            "SignatoryPage": {
                "type": "object", "required": ["data", "next_cursor", "prev_cursor", "links"],
                "properties": {
                    "data": {"type": "array", "items": {"$ref": "#/components/schemas/Signatory"}},
                    "next_cursor": NULLABLE_STRING,
                    "prev_cursor": NULLABLE_STRING,
                    "links": {"type": "object", "properties": {"next": NULLABLE_STRING, "prev": NULLABLE_STRING}},
                },
            },
            "ChangesPage": {
                "type": "object", "required": ["data", "individuals", "until", "next_cursor", "links"],
                "properties": {
                    "data": {"type": "array", "items": {"$ref": "#/components/schemas/OrganisationChange"}},
                    "individuals": {"type": "integer", "minimum": 0,
                                    "description": "Individuals (named or counted only) published after the "
                                                   "page's start, up to until (or now, on the last page)."},
                    "until": {"type": ["string", "null"], "format": "date-time",
                              "description": "Where this page ends and the next starts; null on the last page."},
                    "next_cursor": NULLABLE_STRING,
                    "links": {"type": "object", "properties": {"next": NULLABLE_STRING}},
                },
            },
            "History": {
                "type": "object", "required": ["data"],
                "properties": {"data": {"type": "array", "items": {
                    "type": "object", "required": ["date", "published", "cumulative"],
                    "properties": {"date": {"type": "string", "format": "date"}, "published": {"type": "integer"},
                                   "cumulative": {"type": "integer"}},
                }}},
            },
            "Timeline": {
                "type": "object", "required": ["data"],
                "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/TimelineEvent"}}},
            },
            "TimelineEvent": {
                "type": "object", "additionalProperties": False,
                "required": ["id", "kind", "at", "updated", "goal", "texts", "link", "file"],
                "properties": {
                    "id": {"type": "string", "description": "Stable within the timeline (the page's anchor)."},
                    "kind": {"type": "string",
                             "enum": ["published", "goal_reached", "closed", "reopened", "delivered", "response"]},
                    "at": {"type": "string", "format": "date-time"},
                    "updated": {"type": ["string", "null"], "format": "date-time",
                                "description": "When an admin last edited a delivery or a response; null if never."},
                    "goal": {"type": ["integer", "null"], "description": "For goal_reached: the goal."},
                    "texts": {"type": "object", "description": "Heading and summary by language code (for "
                                                                 "deliveries and responses).",
                              "additionalProperties": {"type": "object", "required": ["title", "summary"],
                                                       "properties": {"title": {"type": "string"},
                                                                      "summary": {"type": "string"}}}},
                    "link": NULLABLE_STRING,
                    "file": {**NULLABLE_STRING, "description": "A photo of the delivery, or the response as a PDF."},
                },
            },
            "Versions": {
                "type": "object", "required": ["data"],
                "properties": {"data": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["language", "original", "out_of_date", "page", "versions"],
                    "properties": {
                        "language": {"type": "string"},
                        "original": {"type": "boolean", "description": "The letter's original language."},
                        "out_of_date": {"type": "boolean", "description": "A translation whose original got a "
                                                                          "newer text after it."},
                        "page": {"type": "string", "description": "The history page, with each change word by word."},
                        "versions": {"type": "array", "items": {"$ref": "#/components/schemas/TextVersion"}},
                    },
                }}},
            },
            "TextVersion": {
                "type": "object", "additionalProperties": False,
                "required": ["version", "loaded_at", "title", "current", "link"],
                "properties": {
                    "version": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                                "description": "SHA-256 of the title and text: what a signature records."},
                    "loaded_at": {"type": "string", "format": "date-time", "description": "When it was published."},
                    "title": {"type": "string"},
                    "current": {"type": "boolean", "description": "The text shown now."},
                    "link": {"type": "string", "description": "This version on the history page."},
                },
            },
            "Error": {
                "type": "object", "required": ["error"],
                "properties": {"error": {"type": "object", "required": ["status", "message"],
                                         "properties": {"status": {"type": "integer"},
                                                        "message": {"type": "string"}}}},
            },
        }},
    }
