"""``flask snapshots …``: sign a snapshot of a letter's public list (daily, from a timer)."""

from __future__ import annotations

import click
from sqlalchemy import select

from .. import letters
from ..extensions import db
from ..models import Letter
from ..publication import snapshots


@click.group("snapshots", help="Signed snapshots of the public list.")
def snapshots_group() -> None:
    pass


@snapshots_group.command("publish", help="Sign and publish a snapshot of SLUG's list (of every letter without SLUG).")
@click.argument("slug", required=False)
def publish_command(slug: str | None) -> None:
    if slug is None:
        chosen = list(db.session.scalars(select(Letter).order_by(Letter.id)))
    else:
        found = letters.letter_by_slug(slug)
        if found is None:
            raise click.ClickException(f"No letter {slug!r}; load the letters first (flask --app wsgi letters load).")
        chosen = [found]
    for letter in chosen:
        try:
            snapshot = snapshots.publish(letter)
        except snapshots.SnapshotError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"{letter.slug}: snapshot {snapshot.number}, {snapshot.count} entries (+{snapshot.added} "
                   f"-{snapshot.removed}), root {snapshot.root}")
