"""The app under gunicorn as production runs it (``gunicorn.conf.py``), for tests of several workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from campaign.crypto import generate_seal_keypair

from .factories import PROJECT_ROOT, TEST_CONFIG


def environment(port: int, database_url: str, workers: int, **settings: str) -> dict[str, str]:
    """The process environment of a production start on loopback, plus ``settings`` (``FLASK_…``)."""
    values = {
        **os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers),
        "FLASK_SITE_URL": f"http://127.0.0.1:{port}", "FLASK_SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
        "FLASK_EMAIL_HASH_KEY": TEST_CONFIG["EMAIL_HASH_KEY"], "FLASK_CLIENT_HASH_KEY": TEST_CONFIG["CLIENT_HASH_KEY"],
        "FLASK_SEAL_PUBLIC_KEY": generate_seal_keypair()[0], "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
        **settings,
    }
    for inherited in ("FLASK_RATELIMIT_FALLBACK_PROCESSES", "PROMETHEUS_MULTIPROC_DIR"):
        if inherited not in settings:
            values.pop(inherited, None)
    return values


@contextmanager
def running(env: dict[str, str], log: Path) -> Iterator[None]:
    """gunicorn started, listening and its workers booted; stopped (SIGTERM) afterwards."""
    port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                              cwd=PROJECT_ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        time.sleep(1)  # every worker booted
        yield
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
