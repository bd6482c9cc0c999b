"""``flask privacy purge``: apply the retention rules."""

from __future__ import annotations

import click

from .. import privacy


@click.group("privacy", help="Apply the retention rules.")
def privacy_group() -> None:
    pass


@privacy_group.command("purge", help="Delete or erase whatever is past its retention period (idempotent).")
@click.option("--dry-run", is_flag=True, help="Only print what would go.")
def purge_command(dry_run: bool) -> None:
    report = privacy.purge(dry_run=dry_run)
    click.echo("would remove:" if dry_run else "removed:")
    for line in report.lines():
        click.echo(f"  {line}")
