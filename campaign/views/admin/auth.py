"""Logging in and out."""

from __future__ import annotations

from flask import make_response, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import HTTPException

from ...moderation import accounts
from ...web import limits
from ...web.forms import AdminLoginForm
from .. import errors
from . import SessionUser, bp, carry, safe_next


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Logging in; a form sent after the session ended comes through it (``carry``), to send again."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.queue"))
    form = AdminLoginForm()
    carried = carry.from_login(request, safe_next(request.form.get(carry.TARGET))) if request.method == "POST" else None
    failed = False
    if form.validate_on_submit():
        try:
            new = accounts.authenticate(form.email.data, form.password.data, form.code.data, request.remote_addr)
        except accounts.LoginFailed:
            failed = True
        else:
            session.clear()  # a fresh session: nothing from before the login survives it
            login_user(SessionUser(new.user, new.token))
            if carried is not None:
                return carry.resend_page(carried, 200)
            return redirect(safe_next(request.args.get("next")))
    elif request.method == "POST":
        failed = True
    return carry.login_page(carried, form, failed, 401 if failed else 200)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    accounts.end_session(current_user.get_id())
    logout_user()
    session.clear()
    return redirect(url_for("admin.login"))


@bp.errorhandler(429)
def too_many(error: HTTPException) -> ResponseReturnValue:
    """Over the login limit from one network: the form again with the address typed (the password
    is never sent back), a word on waiting, and ``Retry-After``; other limited pages get the plain page."""
    if request.endpoint != "admin.login":
        return errors.render_error(error)
    carried = carry.from_login(request, safe_next(request.form.get(carry.TARGET)))
    body, status = carry.login_page(carried, AdminLoginForm(), throttled=True, status=429)
    return limits.retry_after().stamp(make_response(body, status))
