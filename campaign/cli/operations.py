"""``flask`` commands for operators."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import click
from flask import Flask, current_app

from ..mail import delivery
from .. import demo, letters, privacy
from ..publication import listing as publication
from ..signing import rules as signing
from ..extensions import db
from ..security import generate_seal_keypair


@click.group("letters", help="Load and inspect the letters.")
def letters_group() -> None:
    pass


@letters_group.command("load", help="Load the letter folders into the database (idempotent).")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of letter folders; defaults to LETTERS_DIR.")
def load_letters_command(directory: Path | None) -> None:
    folder = directory or Path(current_app.config["LETTERS_DIR"])
    try:
        report = letters.load_letters(folder, current_app.config["LANGUAGES"])
    except letters.LetterFileError as error:
        raise click.ClickException(str(error)) from error
    for slug in report.letters_created:
        click.echo(f"new letter: {slug}")
    for slug, language, version in report.texts_added:
        click.echo(f"loaded {slug} [{language}] version {version[:12]}")
    click.echo(f"{len(report.texts_added)} text(s) loaded, {report.texts_unchanged} unchanged.")


@letters_group.command("list", help="List the letters and their current text versions.")
def list_letters_command() -> None:
    for letter in letters.all_letters():
        click.echo(f"{letter.slug} (original: {letter.original_language}, published {letter.published_on})")
        for text in letter.texts:
            if text.current:
                click.echo(f"  {text.language}  {text.version[:12]}  {text.title}")


@click.group("keys", help="Keys that seal signers' email addresses.")
def keys_group() -> None:
    pass


@keys_group.command("generate", help="Print a new key pair for sealing email addresses.")
@click.option("--private-key-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the private key to this file (mode 600) instead of printing it.")
def generate_keys_command(private_key_file: Path | None) -> None:
    public, private = generate_seal_keypair()
    if private_key_file:
        private_key_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(private_key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(private + "\n")
        click.echo(f"FLASK_SEAL_PUBLIC_KEY={public}")
        return
    click.echo(f"FLASK_SEAL_PUBLIC_KEY={public}")
    click.echo(f"private key (keep it offline, never on the server): {private}")


@click.group("outbox", help="Deliver queued email.")
def outbox_group() -> None:
    pass


@outbox_group.command("run", help="Deliver queued email, retrying failures; runs until stopped.")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def run_outbox_command(once: bool) -> None:
    if once:
        report = delivery.deliver_due()
        click.echo(f"sent {report.sent}, retrying {report.retried}, failed {report.failed}")
        return
    stopping = {"now": False}

    def stop(_signum, _frame):
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"outbox worker started (transport: {current_app.config['MAIL_TRANSPORT']})")
    delivery.run_worker(current_app.config["OUTBOX_POLL_SECONDS"], should_stop=lambda: stopping["now"])


@click.group("signing", help="Pause or resume signing without downtime.")
def signing_group() -> None:
    pass


@signing_group.command("pause", help="Stop accepting new signatures (links in emails keep working).")
def pause_signing_command() -> None:
    signing.set_signing_paused(True)
    click.echo("signing paused")


@signing_group.command("resume", help="Accept new signatures again.")
def resume_signing_command() -> None:
    signing.set_signing_paused(False)
    click.echo("signing resumed")


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


@letters_group.command("recount", help="Rebuild a letter's published counts and history from the table.")
@click.argument("slug")
def recount_command(slug: str) -> None:
    letter = letters.letter_by_slug(slug)
    if letter is None:
        raise click.ClickException(f"No letter {slug!r}.")
    publication.rebuild_counts(letter.id)
    db.session.commit()
    click.echo(f"{slug}: {publication.published_count(letter.id):,} published")


def init_app(app: Flask) -> None:
    for group in (letters_group, keys_group, outbox_group, signing_group, privacy_group, demo_group):
        app.cli.add_command(group)
