"""``flask keys …``: the key pair that seals signers' addresses."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..crypto import generate_seal_keypair


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
