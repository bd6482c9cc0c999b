"""Fingerprinted static URLs: ``url_for("static", filename=…)`` gains ``?v=<digest of the file>``.

Such a URL names one version of a file, so the reference nginx site (``deploy/nginx/campaign.conf``)
lets browsers and proxies keep it for a year; a changed file gets a new URL at once. A file's digest
is read once per process (a deploy reloads the workers), and on every call in debug mode, so an
edited stylesheet shows at once under ``make run``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from werkzeug.security import safe_join

DIGEST_LENGTH = 12


def file_digest(folder: str, filename: str) -> str | None:
    """The start of the file's SHA-256, or None when there is no such file in ``folder``."""
    path = safe_join(folder, filename)
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:DIGEST_LENGTH]


cached_file_digest = lru_cache(maxsize=256)(file_digest)


def add_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
    """The app's URL default for the ``static`` endpoint (unknown files keep a plain URL)."""
    if endpoint != "static" or "v" in values or not current_app.static_folder:
        return
    digest = (file_digest if current_app.debug else cached_file_digest)(current_app.static_folder,
                                                                        str(values.get("filename", "")))
    if digest is not None:
        values["v"] = digest


def init_app(app: Flask) -> None:
    app.url_defaults(add_fingerprint)
