"""``flask admin …``: admin and moderator accounts, and the moderators' digest."""

from __future__ import annotations

import sys

import click
import segno
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..mail import outbox
from ..models import AdminRole, AdminUser, EmailKind
from ..moderation import accounts, queue
from ..web import i18n
from .wording import counted


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _account(email: str) -> AdminUser:
    try:
        return accounts.find_admin(email)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error


def _print_enrolment(uri: str) -> None:
    click.echo("Scan this QR code with an authenticator app, or add the address below it by hand:")
    segno.make_qr(uri, error="m").terminal(out=sys.stdout, compact=True)
    click.echo(uri)


@click.group("admin", help="Manage admin and moderator accounts.")
def admin_group() -> None:
    pass


@admin_group.command("create", help="Create an account and print the second-factor enrolment URI.")
@click.argument("email")
@click.option("--role", type=click.Choice([role.value for role in AdminRole]), default="moderator", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_admin_command(email: str, role: str, password_stdin: bool) -> None:
    try:
        user = accounts.create_admin(email, _read_password(password_stdin), AdminRole(role))
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"created {user.email} ({user.role.value})")
    _print_enrolment(accounts.otpauth_uri(user))
    click.echo(f"Then log in at {current_app.config['SITE_URL']}/admin/login with the password and the app's code.")


@admin_group.command("list", help="List accounts.")
def list_admins_command() -> None:
    for user in accounts.list_admins():
        state = "active" if user.active else "disabled"
        last = user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "never"
        click.echo(f"{user.email}\t{user.role.value}\t{state}\tlast login {last}")


@admin_group.command("disable", help="Disable an account and end all its sessions.")
@click.argument("email")
def disable_admin_command(email: str) -> None:
    accounts.set_active(_account(email), False)
    click.echo(f"disabled {email}")


@admin_group.command("enable", help="Enable a disabled account.")
@click.argument("email")
def enable_admin_command(email: str) -> None:
    accounts.set_active(_account(email), True)
    click.echo(f"enabled {email}")


@admin_group.command("reset-password", help="Set a new password and end all sessions of the account.")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def reset_password_command(email: str, password_stdin: bool) -> None:
    try:
        accounts.reset_password(_account(email), _read_password(password_stdin))
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"password reset for {email}; its sessions have ended")


@admin_group.command("reset-second-factor", help="Issue a new authenticator secret and end all sessions.")
@click.argument("email")
def reset_second_factor_command(email: str) -> None:
    uri = accounts.reset_second_factor(_account(email))
    click.echo(f"new second factor for {email}; its sessions have ended.")
    _print_enrolment(uri)


@admin_group.command("digest", help="Email every active moderator who wants it how many signatures await review.")
def digest_command() -> None:
    waiting = queue.waiting_count()
    if waiting == 0:
        click.echo("nothing awaits review; no digest sent")
        return
    recipients = db.session.scalars(select(AdminUser).where(AdminUser.active.is_(True), AdminUser.wants_digest.is_(True)))
    language = current_app.config["DEFAULT_LANGUAGE"]
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
        queue_url = i18n.absolute_url("admin.queue")
        sent = 0
        for user in recipients:
            outbox.enqueue(EmailKind.DIGEST, user.email, language, waiting=waiting, queue_url=queue_url)
            sent += 1
        db.session.commit()
    click.echo(f"digest queued for {counted(sent, 'account', 'accounts')}: {waiting:,} awaiting review")
