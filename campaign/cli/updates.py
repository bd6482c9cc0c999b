"""``flask updates …``: list updates, and queue an approved one with the private key.

Run ``send`` where the private key lives (it is read from the file, used in memory, never stored):
the server itself cannot open the sealed addresses."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from .. import crypto
from ..extensions import db
from ..mail import updates
from ..models import Letter, Update


@click.group("updates", help="Campaign updates and change notices to signers.")
def updates_group() -> None:
    pass


@updates_group.command("list", help="List the updates and their state.")
def list_command() -> None:
    for update, slug in db.session.execute(select(Update, Letter.slug).join(Letter).order_by(Update.id)):
        languages = ",".join(text.language for text in update.texts)
        click.echo(f"{update.id}  {slug}  {update.kind.value}  {update.status.value}  [{languages}]")


@updates_group.command("send", help="Queue an approved update to its signers, opening their addresses with the key.")
@click.argument("update_id", type=int)
@click.option("--private-key", "key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
def send_command(update_id: int, key_file: Path) -> None:
    private_key = key_file.read_text().strip()
    if not crypto.is_pair(private_key, current_app.config["SEAL_PUBLIC_KEY"] or ""):
        raise click.ClickException(f"{key_file} is not the private half of FLASK_SEAL_PUBLIC_KEY: it would open no "
                                   "address (is it another key, such as the snapshot signing key?). Nothing was queued.")
    try:
        report = updates.queue(update_id, private_key)
    except updates.UpdateError as error:
        with force_locale(current_app.config["DEFAULT_LANGUAGE"]):  # its words are translatable, for the pages
            raise click.ClickException(str(error)) from error
    click.echo(f"update {update_id}: queued {report.queued}, held back {report.held_back} "
               f"(mailed an update less than FLASK_UPDATES_MIN_DAYS ago: run again later), skipped {report.skipped}; "
               f"{report.signatures} signatures reached (one email to an address that signed more than once)")
