"""Queuing a campaign update for N signers, and the outbox's rate on it (issue 20).

    .venv/bin/python bench/updates.py 100000

Seeds a scratch SQLite database (``BENCH_UPDATES_DATABASE`` for another, e.g. a PostgreSQL URL of
an empty database) with N confirmed signatures that asked for news, each address sealed to a fresh
key pair, spread over the configured languages, and an approved update in two of them. Then:

1. ``flask updates send ID --private-key FILE`` under ``/usr/bin/time -v``: wall time and maximum
   resident set size of opening every address and queuing every message;
2. ``flask outbox run`` against a local SMTP sink (``tests.smtp_sink``, aiosmtpd on loopback) for
   ``BENCH_OUTBOX_SECONDS`` (20): the messages it sent per second.

Results go to BENCHMARKS.md by hand.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]
CHUNK = 5000


def seed(count: int, public_key: str) -> int:
    """N signatures that asked for news, and an approved update in English and Spanish; its id."""
    from sqlalchemy import insert

    from campaign import create_app, letters
    from campaign.crypto import keyed_hash, seal
    from campaign.extensions import db
    from campaign.models import (
        AdminRole,
        Signature,
        SignatureKind,
        SignatureStatus,
        Update,
        UpdateKind,
        UpdateStatus,
        UpdateText,
        utcnow,
    )
    from campaign.moderation import accounts
    from campaign.signing.fields import SignatureDetails
    from campaign.signing.rows import signature_row

    app = create_app({"SEAL_PUBLIC_KEY": public_key})
    with app.app_context():
        letter = letters.all_letters()[0]
        version = next(text.version for text in letter.texts if text.current and text.language == "en")
        key = app.config["EMAIL_HASH_KEY"]
        languages = app.config["LANGUAGES"]  # the signers spread over every configured language
        for start in range(0, count, CHUNK):
            rows = []
            for number in range(start, min(start + CHUNK, count)):
                address = f"signer{number}@example{number % 997}.org"
                details = SignatureDetails(
                    kind=SignatureKind.INDIVIDUAL, name=f"Signer {number}", organisation=None, role=None, country="BR",
                    city=None, website=None, comment=None, consent_publish=False, consent_updates=True)
                rows.append(signature_row(  # the one place a signature's row is built (campaign/signing/rows.py)
                    letter.id, details, status=SignatureStatus.VERIFIED, language=languages[number % len(languages)],
                    letter_version=version, source="form", now=utcnow(),
                    address={"email_hash": keyed_hash(key, address), "email_domain": address.split("@")[1],
                             "email_sealed": seal(public_key, address)}))
            db.session.execute(insert(Signature.__table__), rows)
            db.session.commit()
        author = accounts.create_admin("author@bench.example", "a long bench passphrase 1", AdminRole.ADMIN)
        update = Update(letter_id=letter.id, kind=UpdateKind.NEWS, status=UpdateStatus.APPROVED, author_id=author.id)
        update.texts = [UpdateText(language="en", subject="News", body="We met the **ministry**.\n\nMore soon."),
                        UpdateText(language="es", subject="Noticias", body="Nos reunimos con el **ministerio**.")]
        db.session.add(update)
        db.session.commit()
        return update.id


def main() -> None:
    from campaign.crypto import generate_seal_keypair
    from tests.smtp_sink import SmtpSink

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per SMTP command
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    seconds = float(os.environ.get("BENCH_OUTBOX_SECONDS", "20"))
    public_key, private_key = generate_seal_keypair()
    with tempfile.TemporaryDirectory() as scratch:
        sink = SmtpSink()
        sink.start()
        env = {**os.environ, "FLASK_SITE_URL": "http://127.0.0.1:5320", "FLASK_SEAL_PUBLIC_KEY": public_key,
               "FLASK_SQLALCHEMY_DATABASE_URI": os.environ.get("BENCH_UPDATES_DATABASE",
                                                               f"sqlite:///{scratch}/bench.sqlite3"),
               **{f"FLASK_{name}": secrets.token_urlsafe(48) for name in ("SECRET_KEY", "EMAIL_HASH_KEY", "CLIENT_HASH_KEY")},
               "FLASK_MAIL_SERVER": sink.hostname, "FLASK_MAIL_PORT": str(sink.port), "FLASK_MAIL_TRANSPORT": "smtp"}
        run = lambda *args: subprocess.run([*FLASK, *args], env=env, cwd=ROOT, check=True,  # noqa: E731
                                           capture_output=True, text=True)
        run("db", "upgrade")
        run("letters", "load")
        os.environ.update(env)
        started = time.monotonic()
        update_id = seed(count, public_key)
        print(f"seeded {count:,} signers in {time.monotonic() - started:.0f} s")
        key_file = Path(scratch, "private.key")
        key_file.write_text(private_key)
        timed = subprocess.run(["/usr/bin/time", "-v", *FLASK, "updates", "send", str(update_id),
                                "--private-key", str(key_file)], env=env, cwd=ROOT, check=True,
                               capture_output=True, text=True)
        wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", timed.stderr)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", timed.stderr)
        print(timed.stdout.strip().splitlines()[-1])
        print(f"queue: wall {wall.group(1) if wall else '?'}, max RSS {int(rss.group(1)) // 1024 if rss else '?'} MB")
        worker = subprocess.Popen([*FLASK, "outbox", "run"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            while not sink.messages:
                time.sleep(0.05)
            first = time.monotonic()
            time.sleep(seconds)
            sent = len(sink.messages)
            elapsed = time.monotonic() - first
        finally:
            # SIGTERM would let the worker drain every due message first (``deliver_due`` runs until
            # nothing is due): the measurement is done, so stop it at once.
            worker.kill()
            worker.wait()
            sink.stop()
        print(f"outbox: {sent:,} messages in {elapsed:.0f} s: {sent / elapsed:.0f} messages/s over SMTP on loopback")


if __name__ == "__main__":
    main()
