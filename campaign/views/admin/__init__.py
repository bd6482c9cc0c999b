"""The admin area: login, the review queue, audit, accounts and exports. Everything here is private."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import UserMixin, current_user
from flask_wtf.csrf import CSRFError

from ...extensions import login_manager
from ...models import AdminUser
from ...moderation import accounts
from ...web import parameters
from .. import errors
from . import carry

bp = Blueprint("admin", __name__, url_prefix="/admin")
P = ParamSpec("P")
R = TypeVar("R")


class SessionUser(UserMixin):
    """The logged-in admin, identified to Flask-Login by the session's token (revocable server-side)."""

    def __init__(self, user: AdminUser, token: str) -> None:
        self.user = user
        self.token = token

    def get_id(self) -> str:
        return self.token

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin

    @property
    def email(self) -> str:
        return self.user.email


@login_manager.user_loader
def load_user(token: str) -> SessionUser | None:
    user = accounts.load_session(token)
    return SessionUser(user, token) if user is not None else None


@login_manager.unauthorized_handler
def to_login() -> ResponseReturnValue:
    """To the login page; what a POST was sending comes along (``carry``)."""
    carried = carry.answer_expired()
    if carried is not None:
        return carried
    # full_path ends with "?" when there is no query: leave it out of the address a person sees.
    return redirect(url_for("admin.login", next=request.full_path.removesuffix("?") if request.method == "GET" else None))


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    default = url_for("admin.queue")
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or not parameters.is_safe_text(target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not (parts.path == "/admin" or parts.path.startswith("/admin/")):
        return default
    return target


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """Account management and personal-data exports: admins only, moderators get 403."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.before_request
def require_login() -> ResponseReturnValue | None:
    if request.endpoint in ("admin.login", "admin.account_setup"):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> ResponseReturnValue:
    """An admin form sent too late: what it carried is shown, to send again (``carry``)."""
    return carry.answer_expired() or errors.form_expired(error)


@bp.after_request
def private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def init_app(app: Flask) -> None:
    """What the admin pages need besides their blueprint: the login manager."""
    login_manager.init_app(app)
    login_manager.session_protection = "basic"


from . import account_pages, auth, imports, letters, manage, packs, partners, queue, stats, updates  # noqa: E402, F401  (their routes register on bp)


