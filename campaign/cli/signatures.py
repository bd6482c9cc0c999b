"""``flask signatures …``: import signatories gathered offline; export with addresses, offline."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click
from sqlalchemy import select

from .. import letters
from ..crypto import unseal
from ..models import Letter, Signature, SignatureStatus
from ..moderation import imports
from ..publication import exports


@click.group("signatures", help="Import signatories gathered offline; export with addresses, offline.")
def signatures_group() -> None:
    pass


def _letter(slug: str | None) -> Letter:
    letter = letters.find_letter(slug)
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
    for row in report.refused:
        click.echo(f"  row {row.number}: " + "; ".join(f"{column}: {message}" for column, message in row.problems))
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

    def rows() -> Iterator[list[object]]:
        for signature in exports.streamed(query):
            yield [signature.id, signature.kind, signature.name, signature.organisation, signature.country,
                   signature.language, signature.status, signature.consent_updates,
                   unseal(private_key, signature.email_sealed)]

    target = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout  # noqa: SIM115  (closed below)
    try:
        for chunk in exports.csv_chunks(OFFLINE_COLUMNS, rows()):
            target.write(chunk)
    finally:
        if output:
            target.close()
