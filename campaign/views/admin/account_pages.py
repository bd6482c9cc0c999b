"""Accounts in the browser (admins): create, disable, change role, reset a factor; and the one-time
link with which a person sets up their own account (no login needed: the link is the key)."""

from __future__ import annotations

import segno
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user
from markupsafe import Markup

from ...extensions import db
from ...models import AdminRole, AdminUser
from ...moderation import accounts, audit, enrolment
from ...web import i18n
from ...web.forms import AccountInviteForm, AccountSetupForm, ButtonForm
from ..labels import ROLE_LABELS
from . import SessionUser, admin_required, bp

WEAK_PASSWORD = {
    "short": lambda: ngettext("Use at least %(num)s character.", "Use at least %(num)s characters.",
                              accounts.MIN_PASSWORD_LENGTH),
    "long": lambda: ngettext("Use at most %(num)s character.", "Use at most %(num)s characters.",
                             accounts.MAX_PASSWORD_LENGTH),
    "common": lambda: _("This password is too common. Choose a longer passphrase of unrelated words."),
}


def _invite_form() -> AccountInviteForm:
    form = AccountInviteForm()
    form.role.choices = [(role.value, str(ROLE_LABELS[role.value])) for role in AdminRole]
    return form


def _account_or_404(user_id: int) -> AdminUser:
    user = db.session.get(AdminUser, user_id)
    if user is None:
        abort(404)
    return user


def _not_yourself(user: AdminUser) -> None:
    """An admin changes other people's accounts here; their own stays reachable to another admin."""
    if user.id == current_user.user.id:
        abort(403)


def _show_link(link: enrolment.IssuedLink) -> ResponseReturnValue:
    """The link, shown this once to the admin who hands it over: only its hash is kept."""
    url = i18n.absolute_url("admin.account_setup", token=link.token)
    return render_template("admin/account_link.html", link=link, url=url)


@bp.get("/accounts")
@admin_required
def accounts_list() -> ResponseReturnValue:
    return render_template("admin/accounts.html", users=accounts.list_admins(), form=_invite_form(),
                           link_is_live=enrolment.link_is_live)


@bp.post("/accounts")
@admin_required
def account_create() -> ResponseReturnValue:
    form = _invite_form()
    if form.validate_on_submit():
        try:
            link = enrolment.invite(form.email.data, AdminRole(form.role.data), current_user.user)
        except accounts.AccountError:
            form.email.errors.append(_("An account for this address exists already."))
        else:
            return _show_link(link)
    return render_template("admin/accounts.html", users=accounts.list_admins(), form=form,
                           link_is_live=enrolment.link_is_live), 400


@bp.get("/accounts/<id:user_id>")
@admin_required
def account_detail(user_id: int) -> ResponseReturnValue:
    user = _account_or_404(user_id)
    history = audit.entries(audit.AuditFilter(target_type="admin_user", target_id=user.id))
    return render_template("admin/account.html", user=user, roles=list(AdminRole), button_form=ButtonForm(),
                           yourself=user.id == current_user.user.id, entries=history,
                           purpose=enrolment.purpose_of(user), link_live=enrolment.link_is_live(user))


@bp.post("/accounts/<id:user_id>/active")
@admin_required
def account_active(user_id: int) -> ResponseReturnValue:
    user = _account_or_404(user_id)
    _not_yourself(user)
    if ButtonForm().validate():
        accounts.set_active(user, not user.active, current_user.user, current_user.email)
        flash(_("Account enabled.") if user.active else _("Account disabled; its sessions have ended."), "success")
    return redirect(url_for("admin.account_detail", user_id=user.id))


@bp.post("/accounts/<id:user_id>/role")
@admin_required
def account_role(user_id: int) -> ResponseReturnValue:
    user = _account_or_404(user_id)
    _not_yourself(user)
    role = next((r for r in AdminRole if r.value == request.form.get("role")), None)
    if ButtonForm().validate() and role is not None:
        accounts.set_role(user, role, current_user.user)
        flash(_("Role changed."), "success")
    return redirect(url_for("admin.account_detail", user_id=user.id))


@bp.post("/accounts/<id:user_id>/sessions")
@admin_required
def account_sessions(user_id: int) -> ResponseReturnValue:
    user = _account_or_404(user_id)
    if ButtonForm().validate():
        ended = accounts.revoke_sessions(user)
        audit.record(current_user.user, current_user.email, "account.sessions_ended", "admin_user", user.id,
                     after={"sessions": ended})
        db.session.commit()
        if user.id == current_user.user.id:
            return redirect(url_for("admin.login"))
        flash(_("Every session of this account has ended."), "success")
    return redirect(url_for("admin.account_detail", user_id=user.id))


@bp.post("/accounts/<id:user_id>/<any(password, 'second-factor', link):what>")
@admin_required
def account_reset(user_id: int, what: str) -> ResponseReturnValue:
    """Reset the password or the second factor, or issue a fresh link for what is left to set up."""
    user = _account_or_404(user_id)
    _not_yourself(user)
    if not ButtonForm().validate():
        return redirect(url_for("admin.account_detail", user_id=user.id))
    if what == "password":
        link = enrolment.reset_password(user, current_user.user)
    elif what == "second-factor":
        link = enrolment.reset_second_factor(user, current_user.user)
    else:
        try:
            link = enrolment.reissue(user, current_user.user)
        except accounts.AccountError:
            return redirect(url_for("admin.account_detail", user_id=user.id))
    return _show_link(link)


# --- the person's own one-time link ----------------------------------------------------------


def _qr_code(uri: str) -> Markup:
    """The enrolment address as an SVG QR code drawn here: no script, no image from elsewhere."""
    svg = segno.make_qr(uri, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff",
                                                   svgclass="qr-code", omitsize=False)
    return Markup(svg)  # noqa: S704  (segno's own markup, built from our URI)


def _grouped(secret: str) -> list[str]:
    """The key in groups of four, each kept on one line (a group broken over two lines gets mistyped)."""
    return [secret[index:index + 4] for index in range(0, len(secret), 4)]


@bp.route("/setup/<token>", methods=["GET", "POST"])
def account_setup(token: str) -> ResponseReturnValue:
    try:
        user = enrolment.open_link(token)
    except enrolment.LinkInvalid:
        return render_template("admin/account_setup_invalid.html"), 404
    purpose = enrolment.purpose_of(user)
    form = AccountSetupForm()
    problem = None
    if form.validate_on_submit():
        try:
            new = enrolment.complete(token, new_password=form.new_password.data,
                                     current_password=form.current_password.data, code=form.code.data,
                                     client_address=request.remote_addr)
        except enrolment.LinkInvalid:
            return render_template("admin/account_setup_invalid.html"), 404
        except accounts.WeakPassword as error:
            form.new_password.errors.append(WEAK_PASSWORD[error.problem]())
        except enrolment.SetupFailed as error:
            problem = error.problem
            db.session.refresh(user)
        else:
            session.clear()
            login_user(SessionUser(new.user, new.token))
            flash(_("Your account is ready, and you are logged in."), "success")
            return redirect(url_for("admin.queue"))
    # A password reset never shows the secret: the person proves they still hold it.
    enrols = purpose is not enrolment.LinkPurpose.PASSWORD
    status = 200 if request.method == "GET" else 400
    return render_template("admin/account_setup.html", user=user, purpose=purpose, form=form, problem=problem,
                           enrols=enrols, sets_password=purpose is not enrolment.LinkPurpose.SECOND_FACTOR,
                           qr_code=_qr_code(accounts.otpauth_uri(user)) if enrols else None,
                           secret=_grouped(user.totp_secret) if enrols else None, issuer=accounts.TOTP_ISSUER), status
