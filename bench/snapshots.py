"""Time and peak memory of publishing a signed snapshot of N listed entries, and the time to serve a proof.

    .venv/bin/python bench/snapshots.py 1000000

Seeds a scratch SQLite database (``BENCH_SNAPSHOTS_DATABASE`` for another, e.g. a scratch
PostgreSQL database) with demo signatures until about N are on the list (``flask demo seed``), makes
a signing key, then runs ``flask snapshots publish`` twice under ``/usr/bin/time -v`` (the first
snapshot, and the next one, which also compares every entry with the first's) and prints each one's
wall time and maximum resident set size; then serves ``BENCH_PROOFS`` (200) proofs of random entries
through the API, in one process, and prints their median and 95th percentile. ``make bench-snapshots``
runs it for 1,000,000 entries; results go to BENCHMARKS.md by hand.
"""

from __future__ import annotations

import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]
#: Of the demo rows, the share on the list: 90 % published × (30 % organisations + 70 % × 75 % named).
LISTED_SHARE = 0.9 * (0.3 + 0.7 * 0.75)
SLUG = "ban-biometric-surveillance"


def timed(env: dict, *args: str) -> str:
    result = subprocess.run(["/usr/bin/time", "-v", *FLASK, *args], env=env, cwd=ROOT, check=True,
                            capture_output=True, text=True)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", result.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return (f"{result.stdout.strip().splitlines()[-1]}\n  wall {wall.group(1) if wall else '?'}, "
            f"max RSS {int(rss.group(1)) // 1024 if rss else '?'} MB")


def proofs(env: dict, count: int) -> str:
    os.environ.update(env)
    from sqlalchemy import func, select

    from campaign import create_app, letters
    from campaign.extensions import db
    from campaign.models import Signature
    from campaign.publication import snapshots

    app = create_app()
    with app.app_context():
        found = letters.letter_by_slug(SLUG)
        assert found is not None
        letter_id = found.id
        ids = list(db.session.scalars(select(Signature.public_id).where(*snapshots.listed(letter_id))
                                      .order_by(func.random()).limit(count)))
    client = app.test_client()
    times = []
    for public_id in ids:
        start = time.perf_counter()
        response = client.get(f"/api/v1/letters/{SLUG}/entries/{public_id}/proof", base_url=env["FLASK_SITE_URL"])
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)
    times.sort()
    return (f"{len(times)} proofs through the API: median {statistics.median(times):.1f} ms, "
            f"95th percentile {times[int(len(times) * 0.95) - 1]:.1f} ms")


def main() -> None:
    listed = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as scratch:
        key = Path(scratch) / "snapshot.key"
        from campaign.crypto import generate_seal_keypair

        secrets_ = {name: secrets.token_urlsafe(48) for name in ("FLASK_SECRET_KEY", "FLASK_EMAIL_HASH_KEY",
                                                                 "FLASK_CLIENT_HASH_KEY")}
        env = {**os.environ, **secrets_, "FLASK_SEAL_PUBLIC_KEY": generate_seal_keypair()[0],
               "FLASK_SITE_URL": "http://127.0.0.1:5331", "FLASK_SNAPSHOT_SIGNING_KEY_FILE": str(key),
               "FLASK_SQLALCHEMY_DATABASE_URI": os.environ.get("BENCH_SNAPSHOTS_DATABASE",
                                                               f"sqlite:///{scratch}/bench.sqlite3")}
        run = lambda *args: subprocess.run([*FLASK, *args], env=env, cwd=ROOT, check=True,  # noqa: E731
                                           capture_output=True, text=True)
        run("keys", "generate-signing", "--private-key-file", str(key))  # a plugin command: runs before the key exists
        run("db", "upgrade")
        run("letters", "load")
        started = time.perf_counter()
        run("demo", "seed", "--signatures", str(round(listed / LISTED_SHARE)))
        print(f"seeded in {time.perf_counter() - started:.0f} s")
        print("first snapshot:", timed(env, "snapshots", "publish", SLUG))
        print("next snapshot:", timed(env, "snapshots", "publish", SLUG))
        print(proofs(env, int(os.environ.get("BENCH_PROOFS", "200"))))


if __name__ == "__main__":
    main()
