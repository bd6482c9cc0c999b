"""What an admin sent when their session or the form's token had run out, carried through logging in
again, so that nothing they typed is lost.

An admin writing an update or a timeline event for longer than ``ADMIN_IDLE_MINUTES`` (or longer
than the form's token lives) used to press Save and land on the login page, or on "this form has
expired", with their text gone. Now that press is answered with a page that holds what was sent: the
login form, when the session has ended (the fields ride along as hidden inputs, prefixed so they can
never be taken for the login's own), or, once logged in, a page showing the text with one button
that sends it again, with a fresh token, to where it was going. Nothing is done without that press:
what an expired request carried is shown, never acted on.

Only a POST from a page of this site is carried (its ``Origin``, or its ``Referer`` when a browser
sends no origin): a form another site makes a browser send gets the plain refusal, so nobody can
lead an admin into sending words that were never theirs.

Not carried: logging in and out and the one-time account links (they hold passwords), and files,
which a browser cannot be made to send again (the page says to choose them again).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request, current_app, g, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ...web.forms import AdminLoginForm

PREFIX = "carried-"
TARGET = "carried_to"
NEVER_CARRIED = frozenset({"admin.login", "admin.logout", "admin.account_setup"})
TOKEN_FIELD = "csrf_token"


@dataclass(frozen=True)
class Carried:
    """A POST to ``target`` (a path in the admin area) and its fields, in the order sent."""

    target: str
    fields: tuple[tuple[str, str], ...]
    had_files: bool = False

    @property
    def texts(self) -> list[str]:
        """What the page shows of it: every value with something written in it."""
        return [value for _name, value in self.fields if value.strip()]


def _from_this_site(sent: Request) -> bool:
    origin = sent.headers.get("Origin")
    if origin is not None:
        return origin.rstrip("/") == sent.host_url.rstrip("/")
    return bool(sent.referrer) and sent.referrer.startswith(sent.host_url)


def _named_fields(sent: Request) -> list[tuple[str, str]]:
    """The form's fields; a multipart part whose name Werkzeug could not read (a line break in its
    header) comes with the name ``None``, and is no field of any form."""
    return [(name, value) for name, value in sent.form.items(multi=True) if isinstance(name, str)]


def from_expired(sent: Request) -> Carried | None:
    """What a POST that could not be acted on carried, if it is worth carrying."""
    if sent.method != "POST" or sent.endpoint in NEVER_CARRIED or sent.blueprint != "admin" \
            or not _from_this_site(sent):
        return None
    fields = tuple((name, value) for name, value in _named_fields(sent) if name != TOKEN_FIELD)
    had_files = any(upload.filename for upload in sent.files.values())
    return Carried(sent.full_path.removesuffix("?"), fields, had_files)


def from_login(sent: Request, safe: str) -> Carried | None:
    """What the login form carried (``safe`` is its target once checked to be an admin path)."""
    fields = tuple((name.removeprefix(PREFIX), value) for name, value in _named_fields(sent) if name.startswith(PREFIX))
    return Carried(safe, fields) if fields and sent.form.get(TARGET) == safe else None


def login_page(carried: Carried | None, form: AdminLoginForm | None = None, failed: bool = False,
               status: int = 401, throttled: bool = False) -> tuple[str, int]:
    """The login form, holding what was being sent, if anything was (401: it was not acted on;
    ``throttled``: too many tries from the network, 429)."""
    return render_template(
        "admin/login.html", form=form or AdminLoginForm(formdata=None), failed=failed, carried=carried,
        throttled=throttled,
        require_totp=current_app.config["ADMIN_REQUIRE_TOTP"], carried_prefix=PREFIX, carried_target=TARGET,
    ), status


def _leave_to(target: str) -> str:
    """Where "leave it" goes: the page that was posted to when it has one, or the review queue."""
    try:
        current_app.url_map.bind_to_environ(request.environ).match(target.split("?", 1)[0], method="GET")
    except HTTPException:
        return url_for("admin.queue")
    return target


def resend_page(carried: Carried, status: int) -> ResponseReturnValue:
    """What was sent, shown, with one button that sends it again with a fresh token.

    Logging in clears the session, and Flask-WTF keeps the token it made for the request in ``g``:
    forget it, so that the button's token is one of the session now beginning."""
    g.pop(TOKEN_FIELD, None)
    return render_template("admin/carried.html", carried=carried, leave_to=_leave_to(carried.target)), status


def answer_expired() -> ResponseReturnValue | None:
    """The answer to an admin POST whose session or token ran out, or None when nothing is carried."""
    carried = from_expired(request)
    if carried is None:
        return None
    if current_user.is_authenticated:
        return resend_page(carried, 400)
    return login_page(carried)
