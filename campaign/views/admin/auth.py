"""Logging in and out."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from ...moderation import accounts
from ...web.forms import AdminLoginForm
from . import SessionUser, bp, safe_next


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("admin.queue"))
    form = AdminLoginForm()
    failed = False
    if form.validate_on_submit():
        try:
            new = accounts.authenticate(form.email.data, form.password.data, form.code.data, request.remote_addr)
        except accounts.LoginFailed:
            failed = True
        else:
            session.clear()  # a fresh session: nothing from before the login survives it
            login_user(SessionUser(new.user, new.token))
            return redirect(safe_next(request.args.get("next")))
    elif request.method == "POST":
        failed = True
    status = 401 if failed else 200
    return render_template("admin/login.html", form=form, failed=failed,
                           require_totp=current_app.config["ADMIN_REQUIRE_TOTP"]), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    accounts.end_session(current_user.get_id())
    logout_user()
    session.clear()
    return redirect(url_for("admin.login"))
