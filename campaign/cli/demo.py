"""``flask demo seed``: demo data for trying the site and for benchmarks."""

from __future__ import annotations

import time

import click

from .. import demo


@click.group("demo", help="Demo data for trying the site and for benchmarks.")
def demo_group() -> None:
    pass


@demo_group.command("seed", help="Add N deterministic demo signatures (bulk-loaded) and rebuild the counts.")
@click.option("--signatures", "count", type=click.IntRange(1, 10_000_000), required=True)
@click.option("--letter", "slug", default=None, help="Letter slug; defaults to the featured letter.")
@click.option("--seed", "seed_value", type=int, default=1, show_default=True)
def seed_command(count: int, slug: str | None, seed_value: int) -> None:
    started = time.monotonic()
    try:
        total = demo.seed(slug, count, seed_value, progress=lambda done: click.echo(f"  {done:,} rows", err=True))
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"added {count:,} demo signatures in {time.monotonic() - started:.1f}s; {total:,} demo rows in all")
