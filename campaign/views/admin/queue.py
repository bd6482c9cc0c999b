"""The review queue and the decisions taken from it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from ...mail import outbox
from ...models import Signature, SignatureKind, SignatureStatus
from ...moderation import audit
from ...moderation import decisions as moderation
from ...moderation import queue as review_queue
from ...moderation.flags import flags_for
from ...signing import rules as signing
from ...signing.fields import EDITABLE
from ...web import parameters
from ...web.forms import ButtonForm, DecisionForm, EditSignatureForm, ReasonForm
from ...web.i18n import country_choices, is_country, supported_codes
from . import bp, safe_next


def queue_filter_from_args() -> review_queue.QueueFilter:
    """The queue's filters from the query string; unknown values mean "any"."""
    args = request.args
    statuses = [s.value for s in SignatureStatus if s is not SignatureStatus.PENDING]
    status = parameters.lenient_choice(args, "status", statuses) if "status" in args else SignatureStatus.VERIFIED.value
    kind = parameters.lenient_choice(args, "kind", [k.value for k in SignatureKind])
    country = (parameters.text(args, "country", 10) or "").upper()
    return review_queue.QueueFilter(
        status=SignatureStatus(status) if status else None,
        kind=SignatureKind(kind) if kind else None,
        country=country if is_country(country) else None,
        language=parameters.lenient_choice(args, "language", supported_codes()),
        text=parameters.text(args, "q", 200),
        domain_verified=parameters.lenient_choice(args, "verified", ("1",)) == "1",
    )


def _back_to_queue(kept: list[int] | None = None, tell: bool = False) -> WerkzeugResponse:
    """Back to the view the decision came from, opened at the word on what was done (just above the
    queue's entries, ``admin/_flashes.html``); a decision refused (no reason to reject, say) keeps
    its selection and its "tell the signer" ticked there, to send again with the reason."""
    back = safe_next(request.form.get("back")).partition("#")[0]
    if kept:
        carried = {"keep": ",".join(str(number) for number in kept), **({"tell": "1"} if tell else {})}
        back += ("&" if "?" in back else "?") + urlencode(carried)
    return redirect(back + "#messages")  # what was done, then the entries: no Tab through the filters again


@bp.get("/")
def queue() -> ResponseReturnValue:
    filters = queue_filter_from_args()
    page = review_queue.queue_page(filters, current_app.config["QUEUE_PAGE_SIZE"],
                                 after=parameters.record_id(request.args, "after"),
                                 before=parameters.record_id(request.args, "before"))
    selection = ("select", "keep", "tell")
    query = {key: value for key, value in request.args.items() if key not in ("after", "before", *selection)}
    # This very view (filters and page), without a selection: where a decision brings the moderator
    # back, to the next entries in place.
    here: dict[str, Any] = {key: value for key, value in request.args.items() if key not in selection}
    return render_template(
        "admin/queue.html", page=page, filters=filters, query=query, here=here,
        back=url_for("admin.queue", **here), decision_form=DecisionForm(),
        statuses=[s for s in SignatureStatus if s is not SignatureStatus.PENDING], kinds=list(SignatureKind),
        countries=country_choices(), languages=supported_codes(), waiting=review_queue.waiting_count(),
        mail=outbox.health(),
        signing_form=ButtonForm(), signing_paused=signing.signing_paused(fresh=True),
        kept=parameters.record_ids(request.args, "keep"), kept_tell=request.args.get("tell") == "1",
    )


@bp.post("/signatures/decide")
def decide() -> ResponseReturnValue:
    form = DecisionForm()
    if not form.validate():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return _back_to_queue(kept=form.ids.data or [], tell=bool(form.tell_signer.data))
    if form.decision.data == "approve":
        changed = moderation.approve(form.ids.data, current_user.user)
        flash(ngettext("%(num)s signature approved.", "%(num)s signatures approved.", changed), "success")
    else:
        changed = moderation.reject(form.ids.data, current_user.user, form.reason.data,
                                    tell=bool(form.tell_signer.data))
        flash(ngettext("%(num)s signature rejected.", "%(num)s signatures rejected.", changed), "success")
    return _back_to_queue()


def _signature_or_404(signature_id: int) -> Signature:
    try:
        return moderation.get(signature_id)
    except moderation.ModerationError:
        abort(404)


@bp.route("/signatures/<id:signature_id>", methods=["GET", "POST"])
def signature(signature_id: int) -> ResponseReturnValue:
    found = _signature_or_404(signature_id)
    form = EditSignatureForm(obj=found, kind=found.kind)
    if form.validate_on_submit():
        changed = moderation.edit(signature_id, current_user.user, {
            name: getattr(form, name).data for name in EDITABLE
        })
        flash(_("Saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("admin.signature", signature_id=signature_id))
    history = audit.entries(audit.AuditFilter(target_type="signature", target_id=signature_id))
    flags = flags_for([found])[0]
    return render_template("admin/signature.html", signature=found, form=form, entries=history, flags=flags,
                           decision_form=DecisionForm(), reason_form=ReasonForm(), button_form=ButtonForm()), \
        (422 if request.method == "POST" else 200)


@bp.post("/signatures/<id:signature_id>/hide")
def hide(signature_id: int) -> ResponseReturnValue:
    form = ReasonForm()
    if form.validate():
        try:
            moderation.hide(signature_id, current_user.user, form.reason.data or "")
            flash(_("The signature is hidden from the public list."), "success")
        except moderation.ModerationError:
            abort(404)
    return redirect(url_for("admin.signature", signature_id=signature_id))


@bp.post("/signatures/<id:signature_id>/restore")
def restore(signature_id: int) -> ResponseReturnValue:
    if ButtonForm().validate():
        try:
            moderation.restore(signature_id, current_user.user)
            flash(_("The signature is published again."), "success")
        except moderation.ModerationError:
            abort(404)
    return redirect(url_for("admin.signature", signature_id=signature_id))


@bp.post("/signatures/<id:signature_id>/drafter")
def drafter(signature_id: int) -> ResponseReturnValue:
    if ButtonForm().validate():
        found = _signature_or_404(signature_id)
        try:
            moderation.set_drafter(signature_id, current_user.user, not found.is_drafter)
        except moderation.ModerationError:
            abort(404)
        flash(_("Saved."), "success")
    return redirect(url_for("admin.signature", signature_id=signature_id))
