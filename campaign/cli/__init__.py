"""``flask`` commands for operators, one group per module, registered in one list.

``keys`` is not in the list: it is a plugin command (``pyproject.toml``), so that it works before
the settings it makes exist (a Flask plugin command runs without loading the app)."""

from __future__ import annotations

from flask import Flask

from . import admin, demo, letters, outbox, privacy, signatures, signing, snapshots, updates

GROUPS = (
    letters.letters_group, outbox.outbox_group, signing.signing_group, privacy.privacy_group,
    demo.demo_group, admin.admin_group, signatures.signatures_group, snapshots.snapshots_group,
    updates.updates_group,
)


def init_app(app: Flask) -> None:
    for group in GROUPS:
        app.cli.add_command(group)
