"""``flask signing pause|resume``: stop and restart signing without downtime."""

from __future__ import annotations

import click

from ..signing import rules


@click.group("signing", help="Pause or resume signing without downtime.")
def signing_group() -> None:
    pass


@signing_group.command("pause", help="Stop accepting new signatures (links in emails keep working).")
def pause_signing_command() -> None:
    rules.set_signing_paused(True)
    click.echo("signing paused")


@signing_group.command("resume", help="Accept new signatures again.")
def resume_signing_command() -> None:
    rules.set_signing_paused(False)
    click.echo("signing resumed")
