"""``flask admin ...`` and ``flask signatures ...``: accounts, digests, imports and offline exports."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from ..moderation import accounts, imports, decisions as moderation
from ..publication import exports
from ..web import i18n
from .. import letters
from ..mail import outbox
from ..extensions import db
from ..models import AdminRole, AdminUser, Signature, SignatureStatus
from ..security import unseal


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _account(email: str) -> AdminUser:
    try:
        return accounts.find_admin(email)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error


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
    click.echo("Add this to an authenticator app (or show it as a QR code):")
    click.echo(accounts.otpauth_uri(user))


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
    click.echo(f"new second factor for {email}; enrol it with:")
    click.echo(uri)


@admin_group.command("digest", help="Email every active moderator who wants it how many signatures await review.")
def digest_command() -> None:
    waiting = moderation.waiting_count()
    if waiting == 0:
        click.echo("nothing awaits review; no digest sent")
        return
    recipients = db.session.scalars(select(AdminUser).where(AdminUser.active.is_(True), AdminUser.wants_digest.is_(True)))
    language = current_app.config["DEFAULT_LANGUAGE"]
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
        queue_url = i18n.absolute_url("admin.queue")
        sent = 0
        for user in recipients:
            outbox.enqueue("digest", user.email, language, "digest", "Signatures await review",
                           waiting=waiting, queue_url=queue_url)
            sent += 1
        db.session.commit()
    click.echo(f"digest queued for {sent} account(s): {waiting} awaiting review")


@click.group("signatures", help="Import signatories gathered offline; export with addresses, offline.")
def signatures_group() -> None:
    pass


def _letter(slug: str | None):
    letter = letters.letter_by_slug(slug) if slug else letters.featured_letter(current_app.config["FEATURED_LETTER"])
    if letter is None:
        raise click.ClickException("No such letter; load the letters first (flask --app wsgi letters load).")
    return letter


@signatures_group.command("import", help="Import a CSV of signatories as verified and published (idempotent).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--letter", "slug", default=None, help="Letter slug; defaults to the featured letter.")
def import_command(file: Path, slug: str | None) -> None:
    try:
        report = imports.import_csv(file, _letter(slug))
    except imports.CsvImportError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"imported {report.imported}, already present {report.already_present}, refused {len(report.refused)}")
    for number, errors in report.refused:
        details = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
        click.echo(f"  row {number}: {details}")
    if report.refused:
        sys.exit(1)


OFFLINE_COLUMNS = ("id", "kind", "name", "organisation", "country", "language", "status", "consent_updates", "email")


@signatures_group.command("export", help="Write signatures with their addresses as CSV, opened with the private key.")
@click.option("--private-key", "key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--consent-updates", is_flag=True, help="Only signers who asked for campaign news.")
@click.option("--status", type=click.Choice([s.value for s in SignatureStatus]), default=None)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File; default stdout.")
def export_command(key_file: Path, consent_updates: bool, status: str | None, output: Path | None) -> None:
    private_key = key_file.read_text().strip()
    query = select(Signature).where(Signature.email_sealed.is_not(None)).order_by(Signature.id)
    if consent_updates:
        query = query.where(Signature.consent_updates.is_(True))
    if status:
        query = query.where(Signature.status == SignatureStatus(status))

    def rows():
        for signature in exports.streamed(query):
            yield [signature.id, signature.kind, signature.name, signature.organisation, signature.country,
                   signature.language, signature.status, signature.consent_updates,
                   unseal(private_key, signature.email_sealed)]

    target = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        for chunk in exports.csv_chunks(OFFLINE_COLUMNS, rows()):
            target.write(chunk)
    finally:
        if output:
            target.close()


def init_app(app: Flask) -> None:
    app.cli.add_command(admin_group)
    app.cli.add_command(signatures_group)
