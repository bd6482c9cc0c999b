"""``flask keys …``: the key pair that seals signers' addresses, and the key that signs snapshots."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..crypto import generate_seal_keypair, generate_signing_key


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


@keys_group.command("generate-signing", help="Make the key that signs the list's snapshots (not the sealing key).")
@click.option("--private-key-file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Write the private key here (mode 600); FLASK_SNAPSHOT_SIGNING_KEY_FILE names this file.")
def generate_signing_key_command(private_key_file: Path) -> None:
    if private_key_file.exists():
        raise click.ClickException(f"{private_key_file} exists: a new key would break the snapshots' chain of "
                                   "trust for readers who know the old one. Remove it yourself if you mean to.")
    public, private = generate_signing_key()
    private_key_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(private_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(private + "\n")
    click.echo(f"FLASK_SNAPSHOT_SIGNING_KEY_FILE={private_key_file}")
    click.echo(f"public key (published at /.well-known/snapshot-signing-key; give it to readers): {public}")
