"""``flask letters …``: load the letter folders, list them, rebuild their counts, make delivery packs."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from .. import letters
from ..extensions import db
from ..lifecycle import versions
from ..mail import updates
from ..publication import counts, pack
from ..web import i18n
from .wording import counted


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
    click.echo(f"{counted(len(report.texts_added), 'text', 'texts')} loaded, {report.texts_unchanged:,} unchanged.")
    for notice in updates.draft_change_notices(report):
        click.echo(f"change notice {notice.id} [{notice.language}] for the signers of the previous text: "
                   "awaits an admin's approval, then `flask updates send`")
    for letter in letters.all_letters():
        for code in sorted({text.language for text in letter.texts} - {letter.original_language}):
            status = versions.status(letter.id, code, letter.original_language)
            if status and status.out_of_date:
                click.echo(f"out of date: {letter.slug} [{code}]: its original changed after it; readers are told")


@letters_group.command("list", help="List the letters and their current text versions.")
def list_letters_command() -> None:
    for letter in letters.all_letters():
        click.echo(f"{letter.slug} (original: {letter.original_language}, published {letter.published_on})")
        for text in letter.texts:
            if text.current:
                click.echo(f"  {text.language}  {text.version[:12]}  {text.title}")


@letters_group.command("recount", help="Rebuild a letter's published counts and history from the table.")
@click.argument("slug")
def recount_command(slug: str) -> None:
    letter = letters.letter_by_slug(slug)
    if letter is None:
        raise click.ClickException(f"No letter {slug!r}.")
    counts.rebuild_counts(letter.id)
    db.session.commit()
    click.echo(f"{slug}: {counts.published_count(letter.id):,} published")


@letters_group.command("pack", help="Write a letter's delivery pack in one language: PDF, CSV and manifest.")
@click.argument("slug")
@click.option("--lang", "language", required=True, help="The pack's language (one of LANGUAGES).")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="Folder to write the files to (made if missing).")
def pack_command(slug: str, language: str, output: Path) -> None:
    if language not in i18n.supported_codes():
        raise click.ClickException(f"No language {language!r}; one of: {', '.join(i18n.supported_codes())}.")
    letter = letters.letter_by_slug(slug)
    view = letters.letter_in_language(letter, language) if letter else None
    if view is None:
        raise click.ClickException(f"No letter {slug!r}.")
    try:
        manifest = pack.write_pack(view, language, output)
    except (pack.PackMismatch, pack.PackFailed) as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:  # a folder that cannot be made or written to: say which, not a traceback
        raise click.ClickException(f"Cannot write the pack to {output}: {error.strerror or error}.") from error
    for entry in manifest["files"]:
        click.echo(f"{output / entry['name']}  sha256 {entry['sha256']}")
    click.echo(f"{manifest['count']['listed']:,} names listed, {manifest['count']['total']:,} signatures counted; "
               f"version {manifest['version'][:12]}")
