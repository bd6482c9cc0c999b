"""Time and peak memory of a delivery pack (``flask letters pack``) for N named signatories.

    .venv/bin/python bench/pack.py 10000 [LANG]

Seeds a scratch SQLite database (``BENCH_PACK_DATABASE`` for another) with demo signatures until
about N are on the list by name (``flask demo seed``: 90 % published, organisations and the
individuals who chose to be named), then runs the pack command under ``/usr/bin/time -v`` and
prints its wall time and maximum resident set size (``FLASK_PACK_PART_SIZE`` sets the entries per
part of the PDF). Results go to BENCHMARKS.md by hand.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]
#: Of the demo rows, the share on the list by name: 90 % published × (30 % organisations + 70 % × 75 % named).
NAMED_SHARE = 0.9 * (0.3 + 0.7 * 0.75)


def main() -> None:
    named = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    language = sys.argv[2] if len(sys.argv) > 2 else "en"
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "FLASK_SITE_URL": "http://127.0.0.1:5071",
               "FLASK_SQLALCHEMY_DATABASE_URI": os.environ.get("BENCH_PACK_DATABASE", f"sqlite:///{scratch}/bench.sqlite3")}
        run = lambda *args: subprocess.run([*FLASK, *args], env=env, cwd=ROOT, check=True,  # noqa: E731
                                           capture_output=True, text=True)
        run("db", "upgrade")
        run("letters", "load")
        run("demo", "seed", "--signatures", str(round(named / NAMED_SHARE)))
        timed = subprocess.run(["/usr/bin/time", "-v", *FLASK, "letters", "pack", "ban-biometric-surveillance",
                                "--lang", language, "--output", f"{scratch}/out"],
                               env=env, cwd=ROOT, check=True, capture_output=True, text=True)
        wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", timed.stderr)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", timed.stderr)
        pdf = next(Path(scratch, "out").glob("*.pdf"))
        print(timed.stdout.strip().splitlines()[-1])
        print(f"wall {wall.group(1) if wall else '?'}, max RSS {int(rss.group(1)) // 1024 if rss else '?'} MB, "
              f"PDF {pdf.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
