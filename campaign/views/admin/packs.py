"""The delivery pack of a letter in one language, for moderators and admins to download."""

from __future__ import annotations

from flask import abort, send_file
from flask.typing import ResponseReturnValue

from ... import letters
from ...publication import pack
from ...web import i18n
from . import bp


@bp.get("/letters/<slug:slug>/pack-<code>.zip")
def pack_download(slug: str, code: str) -> ResponseReturnValue:
    """A ZIP of the pack's PDF, CSV and manifest, made now from the list as it is (public data only)."""
    letter = letters.letter_by_slug(slug)
    if code not in i18n.supported_codes() or letter is None:
        abort(404)
    view = letters.letter_in_language(letter, code)
    if view is None:
        abort(404)
    try:
        archive = pack.write_archive(view, code)
    except pack.PackMismatch:
        abort(500)
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"{slug}-{code}-pack.zip")
