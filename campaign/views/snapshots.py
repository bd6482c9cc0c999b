"""The list's signed snapshots for readers: ``/<lang>/letters/<slug>/snapshots`` lists them and
says how to check them, ``/.well-known/snapshot-signing-key`` gives the key that signs them (see
``publication.snapshots``) and ``/verify_snapshot.py`` the verifier itself, the repository's
``tools/verify_snapshot.py`` byte for byte (its SHA-256 on the page, to compare with the source)."""

from __future__ import annotations

import functools
import hashlib

from flask import Blueprint, abort, g, make_response, render_template
from flask.typing import ResponseReturnValue

from ..config import PROJECT_ROOT
from ..publication import snapshots
from ..web import caches, i18n
from ..web.headers import public_response
from . import current_view, letter_route, reader_blueprint
from .letter import shared_page

bp = reader_blueprint("snapshots", __name__)
well_known = Blueprint("well_known", __name__)
VERIFIER = PROJECT_ROOT / "tools" / "verify_snapshot.py"


@functools.cache
def _verifier() -> tuple[bytes, str] | None:
    """The verifier's bytes and SHA-256, read once: it changes only with a new release."""
    if not VERIFIER.is_file():
        return None
    body = VERIFIER.read_bytes()
    return body, hashlib.sha256(body).hexdigest()


@letter_route(bp, "/snapshots")
def page() -> ResponseReturnValue:
    view = current_view()
    return shared_page(caches.snapshots_key(g.letter_slug, g.lang), lambda: render_template(
        "public/snapshots.html", view=view, snapshots=list(reversed(snapshots.all_of(view.letter.id))),
        public_key=snapshots.public_key(), verifier_sha256=shipped[1] if (shipped := _verifier()) else None,
        proof_address=i18n.absolute_url("api.entry_proof", slug=view.letter.slug, public_id="PUBLIC_ID")))


@well_known.get("/.well-known/snapshot-signing-key")
def signing_key() -> ResponseReturnValue:
    key = snapshots.public_key()
    if key is None:
        abort(404)
    response = make_response(key + "\n")
    response.mimetype = "text/plain"
    return public_response(response)


@well_known.get("/verify_snapshot.py")
def verifier() -> ResponseReturnValue:
    found = _verifier()
    if found is None:
        abort(404)
    response = make_response(found[0])
    response.mimetype = "text/x-python"
    response.headers["Content-Disposition"] = 'attachment; filename="verify_snapshot.py"'
    return public_response(response)
