"""Delivery packs of a letter, one per language: asked for here, made by the outbox worker in the
background (``publication.pack_builds``), downloaded here from any app node."""

from __future__ import annotations

import io
import json

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ... import letters
from ...models import Letter, PackStatus
from ...publication import counts, pack_builds
from ...web import i18n
from ...web.forms import ButtonForm
from . import bp


def problem(error: str | None, slug: str) -> str:
    """Why a pack failed, in the reader's language where the reason is one we know."""
    if error == pack_builds.GIVEN_UP:
        return _("It was given up: its worker stopped three times while making it (short of memory?). "
                 "See the worker's log.")
    if error == pack_builds.NO_TEXT:
        return _("The letter has no text in this language.")
    if error == pack_builds.COUNTS_DISAGREE:
        return _("The list's counts disagree with its entries. Run %(command)s on the server, then make the pack "
                 "again.", command=f"flask --app wsgi letters recount {slug}")
    return error or ""


def _letter(slug: str) -> Letter:
    letter = letters.letter_by_slug(slug)
    if letter is None:
        abort(404)
    return letter


@bp.get("/letters/<slug:slug>/packs")
def packs_page(slug: str) -> ResponseReturnValue:
    letter = _letter(slug)
    builds = pack_builds.builds_of(letter.id)
    languages = [code for code in i18n.supported_codes() if letters.letter_in_language(letter, code)]
    making = any(status in (PackStatus.WAITING, PackStatus.BUILDING)
                  for by_status in builds.values() for status in by_status)
    count = counts.published_count(letter.id)
    outdated = {code: json.loads(by_status[PackStatus.READY].manifest or "{}").get("count", {}).get("total") != count
                for code, by_status in builds.items() if PackStatus.READY in by_status}
    return render_template("admin/packs.html", letter=letter, languages=languages, builds=builds,
                           PackStatus=PackStatus, count=count, button=ButtonForm(), making=making, problem=problem,
                           outdated=outdated)


@bp.post("/letters/<slug:slug>/packs")
def pack_request(slug: str) -> ResponseReturnValue:
    letter = _letter(slug)
    code = request.form.get("language", "")
    if code not in i18n.supported_codes() or letters.letter_in_language(letter, code) is None:
        abort(404)
    if ButtonForm().validate():
        pack_builds.request_build(letter, code, current_user.user)
        flash(_("The pack in %(language)s is being made. This page shows when it is ready.",
                language=i18n.language_name(code, in_sentence=True)), "success")
    return redirect(url_for("admin.packs_page", slug=slug), 303)


@bp.get("/letters/<slug:slug>/pack-<code>.zip")
def pack_download(slug: str, code: str) -> ResponseReturnValue:
    """The newest pack made in this language: the ZIP of its PDF, CSV and manifest."""
    letter = _letter(slug)
    if code not in i18n.supported_codes():
        abort(404)
    ready = pack_builds.ready_archive(letter.id, code)
    if ready is None or ready.archive is None:
        flash(_("No pack in %(language)s has been made yet: make one below.",
                language=i18n.language_name(code, in_sentence=True)), "error")
        return redirect(url_for("admin.packs_page", slug=slug), 303)
    stamp = ready.finished_at.strftime("%Y%m%d-%H%M") if ready.finished_at else str(ready.id)
    return send_file(io.BytesIO(ready.archive), mimetype="application/zip", as_attachment=True,
                     download_name=f"{slug}-{code}-pack-{stamp}.zip")
