"""Audit trail, undelivered mail, exports and site switches."""

from __future__ import annotations

import datetime as dt

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...mail import outbox
from ...models import Signature
from ...moderation import audit, queue
from ...publication import exports
from ...signing import rules as signing
from ...web import parameters
from ...web.forms import ButtonForm
from . import admin_required, bp
from .queue import queue_filter_from_args


@bp.get("/audit")
def audit_trail() -> ResponseReturnValue:
    args = request.args
    filters = audit.AuditFilter(
        action=parameters.text(args, "action", 64),
        actor=parameters.text(args, "actor", 254),
        target_type=parameters.text(args, "target_type", 32),
        target_id=parameters.record_id(args, "target_id"),
        before_id=parameters.record_id(args, "before"),
    )
    entries = audit.entries(filters)
    query = {key: value for key, value in args.items() if key != "before"}
    return render_template("admin/audit.html", entries=entries, filters=filters, actions=audit.known_actions(),
                           query=query, next_before=entries[-1].id if len(entries) == audit.PAGE_SIZE else None)


@bp.get("/mail")
def undelivered_mail() -> ResponseReturnValue:
    """Email given up in the last days: what a moderator can know of a signer who never got a link."""
    return render_template("admin/mail.html", failures=outbox.recent_failures(), mail=outbox.health())


def _export(kind: str) -> Response:
    filters = queue_filter_from_args()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    audit.record(current_user.user, current_user.email, "export.downloaded", "signature", None,
                 after={"format": kind, "filters": dict(request.args.items())})
    db.session.commit()
    rows = exports.streamed(queue.filtered(filters).order_by(Signature.id))
    if kind == "csv":
        body = exports.csv_chunks(exports.ADMIN_COLUMNS, (exports.admin_row(row) for row in rows), for_spreadsheets=True)
        mimetype = "text/csv"
    else:
        body = exports.json_lines(exports.admin_record(row) for row in rows)
        mimetype = "application/json"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="signatures-{stamp}.{kind}"'
    return response


@bp.get("/export.csv")
@admin_required
def export_csv() -> ResponseReturnValue:
    return _export("csv")


@bp.get("/export.json")
@admin_required
def export_json() -> ResponseReturnValue:
    return _export("json")


@bp.post("/signing")
@admin_required
def signing_switch() -> ResponseReturnValue:
    if ButtonForm().validate():
        paused = not signing.signing_paused(fresh=True)
        signing.set_signing_paused(paused, current_user.user, current_user.email)
        flash(_("Signing is paused.") if paused else _("Signing is open again."), "success")
    return redirect(url_for("admin.queue"))
